import { unescapeForTerminal } from './escape.js';
import { BOLD } from './bold.js';
import type { Reply, ReplyPart, Tone } from '../domain/reply.js';

const MARK: Record<Tone, string> = { ok: '[ok]', warn: '[warn]', error: '[error]', info: '[info]' };

/**
 * A table's lines, columns aligned on the cells as they will be seen.
 * `escapeCell` (Block Kit's) escapes every cell on its way into the line; the
 * padding is counted on the cell as typed, since Slack shows an entity as one
 * character.
 */
export function alignTable(columns: string[], rows: string[][], escapeCell: (cell: string) => string = (c) => c): string[] {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => escapeCell(c) + (i === cells.length - 1 ? '' : ' '.repeat(Math.max(0, widths[i]! - c.length)))).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)];
}

function part(p: ReplyPart): string[] {
  switch (p.kind) {
    case 'text':
      return [p.text];
    case 'fields': {
      const w = Math.max(...p.fields.map(([l]) => l.length));
      return p.fields.map(([l, v]) => `${(l + ':').padEnd(w + 1)} ${v}`);
    }
    case 'table':
      // cells are data, not markup: shown as they are (see renderPlainText)
      return alignTable(p.columns, p.rows);
    case 'list':
      return [`${p.title}:`, ...p.items.map((i) => `  - ${i}`)];
    case 'context':
      return [p.text];
    case 'buttons':
      return [[...p.buttons.map((b) => `[ ${b.label} ]`), ...(p.select ? [`[ ${p.select.placeholder} ▾ ]`] : [])].join(' ')];
  }
}

/** Slack's marks as plain text: *bold* and `code` keep their words, lose their marks (as the terminal shows them without colour). */
const unmarkProse = (s: string) => s.replace(BOLD, '$1$2').replace(/`([^`\n]+)`/g, '$1');
/** a ```code block``` (log lines) loses its fences and keeps its lines exactly as they are */
const unmark = (s: string) =>
  s
    .split('```')
    .map((piece, i) => (i % 2 ? piece.replace(/^\n|\n$/g, '') : unmarkProse(piece)))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');

/** Our markup as the terminal shows it without colour: marks dropped, entities and mentions as text. */
const markup = (s: string) => unescapeForTerminal(unmark(s));

/** For the one-shot runner and golden files: the whole reply, nothing cut, no Slack mark left. */
export function renderPlainText(r: Reply): string {
  const lines = [markup(`${MARK[r.tone]} ${r.title}`)];
  // a table's cells are data: no mark and no entity is read in them
  for (const p of r.parts) lines.push('', ...(p.kind === 'table' ? part(p) : part(p).map(markup)));
  return lines.join('\n') + '\n';
}

