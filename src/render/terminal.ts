/**
 * Reply → the terminal, for the local conversation (`npm start`): the same
 * neutral model Block Kit is rendered from, shown the way Slack shows it —
 * the title coloured by tone, *bold* and `code` styled, tables aligned,
 * context lines dimmed, buttons and menus as numbered choices.
 *
 * Colours come from picocolors (it honours NO_COLOR and FORCE_COLOR); with
 * colours off, bold and code are plain text (no Slack mark is ever printed)
 * and the tone is a word ([ok]).
 */
import pc from 'picocolors';
import type { Reply, ReplyPart, Tone } from '../domain/reply.js';
import { unescapeForTerminal } from './escape.js';
import { BOLD } from './bold.js';
import { alignTable } from './plain-text.js';

export type Palette = ReturnType<typeof pc.createColors>;

/** A button or a menu, as the conversation numbers them for a person to pick. */
export interface Choice {
  kind: 'button' | 'select';
  actionId: string;
  label: string;
  value?: string;
}

export interface TerminalOptions {
  /** default: what picocolors detects for this process */
  colors?: boolean;
  /** the number a person types to pick this button or menu; without it they are shown unnumbered */
  choice?: (c: Choice) => number | undefined;
}

const GLYPH: Record<Tone, string> = { ok: '✔', warn: '▲', error: '✖', info: 'ℹ' };
const PLAIN_MARK: Record<Tone, string> = { ok: '[ok]', warn: '[warn]', error: '[error]', info: '[info]' };

/** The emoji our own messages use, as a terminal can show them. */
const EMOJI: Record<string, string> = {
  hourglass_flowing_sand: '⏳',
  warning: '⚠',
  x: '✖',
  white_check_mark: '✔',
  large_green_circle: '●',
  large_yellow_circle: '●',
  red_circle: '●',
  information_source: 'ℹ',
};

export const toneColor = (c: Palette, tone: Tone): ((s: string) => string) =>
  ({ ok: c.green, warn: c.yellow, error: c.red, info: c.cyan })[tone];

/** Slack's mrkdwn subset our replies use: `code`, *bold* (also around `code`), mentions, channel links, entities, emoji; no mark is left on screen. */
export function inline(text: string, c: Palette): string {
  const emoji = (s: string) => s.replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m);
  // bold first, as the sentinels \u0001…\u0002, so that it may span code (`*Not every node over `demo`*`)
  const [boldOn = '', boldOff = ''] = c.bold('\u0000').split('\u0000');
  return text
    .replace(BOLD, (_, before: string, b: string) => `${before}\u0001${b}\u0002`)
    .split(/(`[^`\n]+`)/)
    .map((piece, i) => {
      // code: cyan when there is colour, else just the text (the marks are Slack's, not the person's)
      if (i % 2 === 1) return c.cyan(unescapeForTerminal(piece.slice(1, -1)));
      const marked = emoji(piece)
        .replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => c.blue(`@${id}`))
        .replace(/<#([CG][A-Z0-9]+)>/g, (_, id: string) => c.blue(`#${id}`));
      return unescapeForTerminal(marked);
    })
    .join('')
    .replace(/\u0001/g, boldOn)
    .replace(/\u0002/g, boldOff);
}

function partLines(p: ReplyPart, c: Palette, choice: TerminalOptions['choice']): string[] {
  switch (p.kind) {
    case 'text':
      // a ```code block``` (log lines) loses its fences and keeps its lines as they are, dimmed like a table's
      return p.text
        .split('```')
        .flatMap((piece, i) => {
          const lines = piece.replace(/^\n|\n$/g, '');
          if (i % 2) return lines.split('\n').map((l) => unescapeForTerminal(l));
          return lines ? inline(lines, c).split('\n') : [];
        });
    case 'fields': {
      const labels = p.fields.map(([l]) => unescapeForTerminal(l));
      const w = Math.max(...labels.map((l) => l.length));
      return p.fields.map(([, v], i) => `${c.bold((labels[i] + ':').padEnd(w + 1))} ${inline(v, c)}`);
    }
    case 'table': {
      // code blocks in Slack: no markup inside, entities shown as characters
      const [head = '', ...rows] = alignTable(p.columns, p.rows.map((r) => r.map(unescapeForTerminal)));
      return [c.bold(head), c.dim('─'.repeat(head.length)), ...rows];
    }
    case 'list': {
      const title = inline(`*${p.title}*`, c);
      return [p.tone ? toneColor(c, p.tone)(title) : title, ...p.items.map((i) => `  • ${inline(i, c)}`)];
    }
    case 'context':
      return inline(p.text, c).split('\n').map((l) => c.dim(l));
    case 'buttons': {
      const numbered = (x: Choice, text: string) => {
        const n = choice?.(x);
        return n === undefined ? `[ ${text} ]` : `[${n}] ${text}`;
      };
      const buttons = p.buttons.map((b) => {
        const text = numbered({ kind: 'button', actionId: b.actionId, label: b.label, value: b.value }, b.label);
        return b.style === 'primary' ? c.green(c.bold(text)) : b.style === 'danger' ? c.red(c.bold(text)) : c.bold(text);
      });
      const menu = p.select ? [c.bold(numbered({ kind: 'select', actionId: p.select.actionId, label: p.select.placeholder }, `${p.select.placeholder} ▾`))] : [];
      return [[...buttons, ...menu].join('   ')];
    }
  }
}

/** A reply as lines for the terminal, with a bar in the tone's colour down its left side. */
export function renderTerminal(r: Reply, o: TerminalOptions = {}): string {
  const c = o.colors === undefined ? pc : pc.createColors(o.colors);
  const tone = toneColor(c, r.tone);
  const mark = c.isColorSupported ? GLYPH[r.tone] : PLAIN_MARK[r.tone];
  const lines = [`${tone(mark)} ${c.bold(tone(unescapeForTerminal(r.title)))}`];
  for (const p of r.parts) {
    // Slack leaves room around a table, a list and the buttons
    if (p.kind === 'table' || p.kind === 'list' || p.kind === 'buttons') lines.push('');
    lines.push(...partLines(p, c, o.choice));
  }
  return lines.map((l) => `${tone('┃')} ${l}`.trimEnd()).join('\n') + '\n';
}
