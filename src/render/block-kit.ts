import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
  StaticSelect,
} from '@slack/types';
import type { Reply, ReplyPart, Tone } from '../domain/reply.js';
import { redactSecrets } from '../errors.js';
import { BACKTICK_LOOKALIKE, escapeMrkdwn, sanitizeMrkdwn } from './escape.js';
import { alignTable, renderPlainText } from './plain-text.js';

/** Slack's limits (api.slack.com/reference/block-kit): we stay inside them with margin. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  header: 150,
  contextElements: 10,
  /** messages of about 13k characters of blocks have failed with msg_blocks_too_long */
  messageChars: 11_000,
  fallbackText: 3000,
} as const;

/** A message as chat.postMessage, chat.update and response URLs take it. */
export interface SlackMessage {
  /** the fallback shown in notifications */
  text: string;
  blocks: KnownBlock[];
}

const EMOJI: Record<Tone, string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  error: ':red_circle:',
  info: ':information_source:',
};

/**
 * At most `max` characters, with `…` when cut. Applied to text as Slack
 * receives it (escaped, redacted): a cut never splits an entity (`&lt;`).
 */
const cut = (s: string, max: number): string => {
  if (s.length <= max) return s;
  let end = max - 1;
  const amp = s.lastIndexOf('&', end - 1);
  if (amp >= 0 && end - amp < 5 && !s.slice(amp, end).includes(';')) end = amp;
  return s.slice(0, end) + '…';
};
/** what Slack receives of a text: secrets redacted (which may lengthen it), markup escaped; the limits are checked on this */
const asSent = (text: string) => sanitizeMrkdwn(redactSecrets(text));
/** mrkdwn of at most `max` characters as sent */
const mrkdwn = (text: string, max: number): MrkdwnElement => ({ type: 'mrkdwn', text: cut(asSent(text), max) });
const plain = (text: string, max: number): PlainTextElement => ({ type: 'plain_text', text: cut(redactSecrets(text), max) });
const context = (text: string): ContextBlock => ({ type: 'context', elements: [mrkdwn(text, LIMITS.fieldText)] });

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, LIMITS.sectionText) };
}

/**
 * A table cell inside a code block is data: `&`, `<`, `>` escaped (no
 * mention, link or entity of its own), backticks as a look-alike (no run of
 * three can close the block), broadcast words broken.
 */
const codeCell = (cell: string) => escapeMrkdwn(redactSecrets(cell).replace(/`/g, BACKTICK_LOOKALIKE));

/** Splits lines into code-block sections that each fit a section's text limit. */
function codeSections(lines: string[], budget: number): { blocks: KnownBlock[]; used: number; shown: number } {
  const blocks: KnownBlock[] = [];
  let chunk: string[] = [];
  let used = 0;
  let shown = 0;
  const flush = () => {
    if (chunk.length) blocks.push(section('```' + chunk.join('\n') + '```'));
    chunk = [];
  };
  for (const line of lines) {
    const l = cut(line, 300);
    if (used + l.length + 1 > budget) break;
    if ([...chunk, l].join('\n').length + 6 > LIMITS.sectionText) flush();
    chunk.push(l);
    used += l.length + 1;
    shown++;
  }
  flush();
  return { blocks, used, shown };
}

function partBlocks(p: ReplyPart, budget: number): KnownBlock[] {
  switch (p.kind) {
    case 'text':
      return [section(p.text)];
    case 'context':
      return [context(p.text)];
    case 'fields': {
      const blocks: SectionBlock[] = [];
      for (let i = 0; i < p.fields.length; i += LIMITS.fields) {
        blocks.push({
          type: 'section',
          fields: p.fields.slice(i, i + LIMITS.fields).map(([l, v]) => mrkdwn(`*${l}*\n${v}`, LIMITS.fieldText)),
        });
      }
      return blocks;
    }
    case 'list': {
      const lines = [`*${p.title}*`, ...p.items.map((i) => `• ${i}`)];
      let text = '';
      let shown = 0;
      for (const line of lines) {
        // measured as sent: escaping makes a line longer
        if (asSent(text).length + asSent(line).length + 60 > Math.min(LIMITS.sectionText, budget)) break;
        text += (text ? '\n' : '') + line;
        shown++;
      }
      const hidden = lines.length - shown;
      return [section(hidden > 0 ? `${text}\n…and ${hidden} more` : text)];
    }
    case 'table': {
      const [head, ...rows] = alignTable(p.columns, p.rows, codeCell);
      const { blocks, shown } = codeSections([head!, ...rows], Math.max(budget - 200, 400));
      const hidden = rows.length - Math.max(shown - 1, 0);
      if (hidden > 0) {
        blocks.push(context(`Showing ${shown - 1} of ${rows.length} ${p.noun}; the rest did not fit in one Slack message.`));
      }
      return blocks;
    }
    case 'buttons': {
      const buttons = p.buttons.slice(0, 24).map(
        (b): Button => ({
          type: 'button',
          text: plain(b.label, 75),
          action_id: cut(b.actionId, 255),
          value: b.value,
          ...(b.style ? { style: b.style } : {}),
        }),
      );
      const select: StaticSelect | undefined = p.select && {
        type: 'static_select',
        action_id: cut(p.select.actionId, 255),
        placeholder: plain(p.select.placeholder, 150),
        options: p.select.options.slice(0, 100).map((o) => ({ text: plain(o.label, 75), value: cut(o.value, 150) })),
      };
      const elements: ActionsBlockElement[] = select ? [...buttons, select] : buttons;
      const actions: ActionsBlock = { type: 'actions', elements };
      return [actions];
    }
  }
}

const size = (blocks: KnownBlock[]) => JSON.stringify(blocks).length;

export function renderBlockKit(r: Reply): SlackMessage {
  const header: HeaderBlock = { type: 'header', text: { ...plain(`${EMOJI[r.tone]} ${r.title}`, LIMITS.header), emoji: true } };
  const blocks: KnownBlock[] = [header];
  let truncated = false;
  for (const p of r.parts) {
    const remaining = LIMITS.messageChars - size(blocks);
    // a table or list shrinks to what is left (JSON escaping makes text grow, so measure and retry)
    let next = partBlocks(p, remaining);
    for (let budget = remaining * 0.85; size(next) > remaining && budget > 300 && (p.kind === 'table' || p.kind === 'list'); budget *= 0.85) {
      next = partBlocks(p, budget);
    }
    if (blocks.length + next.length > LIMITS.blocks - 1 || size(next) > remaining) {
      truncated = true;
      break;
    }
    blocks.push(...next);
  }
  if (truncated) {
    blocks.push(context('Part of this answer did not fit in one Slack message.'));
  }
  const first = r.parts.find((p): p is Extract<ReplyPart, { kind: 'text' }> => p.kind === 'text');
  const fallback = `${EMOJI[r.tone]} ${r.title}${first ? ` — ${first.text}` : ''}`;
  // the last line of defence: nothing token- or key-shaped leaves for Slack, whatever an action wrote
  // (every text was redacted before it was measured, so this changes no length)
  return JSON.parse(redactSecrets(JSON.stringify({ text: cut(asSent(fallback), LIMITS.fallbackText), blocks }))) as SlackMessage;
}

export { renderPlainText };
