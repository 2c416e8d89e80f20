import type { Reply, ReplyPart, Tone } from '../domain/reply.js';
import { redactSecrets } from '../errors.js';
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

export type Block = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

const EMOJI: Record<Tone, string> = {
  ok: ':large_green_circle:',
  warn: ':large_yellow_circle:',
  error: ':red_circle:',
  info: ':information_source:',
};

const cut = (s: string, max: number): string => (s.length <= max ? s : s.slice(0, max - 1) + '…');
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });

function section(text: string): Block {
  return { type: 'section', text: mrkdwn(cut(text, LIMITS.sectionText)) };
}

/** Splits lines into code-block sections that each fit a section's text limit. */
function codeSections(lines: string[], budget: number): { blocks: Block[]; used: number; shown: number } {
  const blocks: Block[] = [];
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

function partBlocks(p: ReplyPart, budget: number): Block[] {
  switch (p.kind) {
    case 'text':
      return [section(p.text)];
    case 'context':
      return [{ type: 'context', elements: [mrkdwn(cut(p.text, LIMITS.fieldText))] }];
    case 'fields': {
      const blocks: Block[] = [];
      for (let i = 0; i < p.fields.length; i += LIMITS.fields) {
        blocks.push({
          type: 'section',
          fields: p.fields.slice(i, i + LIMITS.fields).map(([l, v]) => mrkdwn(cut(`*${l}*\n${v}`, LIMITS.fieldText))),
        });
      }
      return blocks;
    }
    case 'list': {
      const lines = [`*${p.title}*`, ...p.items.map((i) => `• ${i}`)];
      let text = '';
      let shown = 0;
      for (const line of lines) {
        if (text.length + line.length + 60 > Math.min(LIMITS.sectionText, budget)) break;
        text += (text ? '\n' : '') + line;
        shown++;
      }
      const hidden = lines.length - shown;
      return [section(hidden > 0 ? `${text}\n…and ${hidden} more` : text)];
    }
    case 'table': {
      const [head, ...rows] = alignTable(p.columns, p.rows);
      const { blocks, shown } = codeSections([head!, ...rows], Math.max(budget - 200, 400));
      const hidden = rows.length - Math.max(shown - 1, 0);
      if (hidden > 0) {
        blocks.push({
          type: 'context',
          elements: [mrkdwn(`Showing ${shown - 1} of ${rows.length} ${p.noun}; the rest did not fit in one Slack message.`)],
        });
      }
      return blocks;
    }
    case 'buttons': {
      const buttons = p.buttons.slice(0, 24).map((b) => ({
        type: 'button',
        text: { type: 'plain_text', text: cut(b.label, 75) },
        action_id: cut(b.actionId, 255),
        value: b.value,
        ...(b.style ? { style: b.style } : {}),
      }));
      const select = p.select && {
        type: 'static_select',
        action_id: cut(p.select.actionId, 255),
        placeholder: { type: 'plain_text', text: cut(p.select.placeholder, 150) },
        options: p.select.options.slice(0, 100).map((o) => ({ text: { type: 'plain_text', text: cut(o.label, 75) }, value: cut(o.value, 150) })),
      };
      return [{ type: 'actions', elements: select ? [...buttons, select] : buttons }];
    }
  }
}

const size = (blocks: Block[]) => JSON.stringify(blocks).length;

export function renderBlockKit(r: Reply): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: cut(`${EMOJI[r.tone]} ${r.title}`, LIMITS.header), emoji: true } }];
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
    blocks.push({ type: 'context', elements: [mrkdwn('Part of this answer did not fit in one Slack message.')] });
  }
  const first = r.parts.find((p): p is Extract<ReplyPart, { kind: 'text' }> => p.kind === 'text');
  const fallback = `${EMOJI[r.tone]} ${r.title}${first ? ` — ${first.text}` : ''}`;
  // the last line of defence: nothing token- or key-shaped leaves for Slack, whatever an action wrote
  return JSON.parse(redactSecrets(JSON.stringify({ text: cut(fallback, LIMITS.fallbackText), blocks }))) as SlackMessage;
}

export { renderPlainText };
