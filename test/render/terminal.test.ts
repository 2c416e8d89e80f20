/** src/render/terminal.ts: a reply as the terminal conversation shows it, with and without colours. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { reply, type Reply } from '../../src/domain/reply.js';
import { renderTerminal } from '../../src/render/terminal.js';

const request: Reply = reply('Approval needed: promote w-1 to manager', 'info', [
  { kind: 'text', text: '<@U0OPS> asks to *promote* `w-1` &lt;worker&gt;. :warning: 4 managers' },
  { kind: 'fields', fields: [['Now', '3 of 3'], ['After the promote', '4 of 4']] },
  { kind: 'table', columns: ['NODE', 'ROLE'], rows: [['w-1', 'worker'], ['mgr-1 &amp; co', 'manager']], noun: 'nodes' },
  { kind: 'list', title: 'Warnings', items: ['even number of managers'], tone: 'warn' },
  { kind: 'context', text: 'Request `r1` · only an approver other than <@U0OPS> can approve' },
  {
    kind: 'buttons',
    buttons: [{ label: 'Approve', actionId: 'approve', value: 'signed', style: 'primary' }],
    select: { placeholder: 'Deny…', actionId: 'deny', options: [{ label: 'Wrong target', value: 'wrong-target' }] },
  },
]);

describe('the terminal renderer', () => {
  it('shows a reply as Slack would, each line on a bar, buttons and menus numbered', () => {
    const numbers = { approve: 1, deny: 2 } as Record<string, number>;
    const text = renderTerminal(request, { colors: false, choice: (c) => numbers[c.actionId] });
    expect(text).toBe(
      [
        '┃ [info] Approval needed: promote w-1 to manager',
        '┃ @U0OPS asks to promote w-1 <worker>. ⚠ 4 managers',
        '┃ Now:               3 of 3',
        '┃ After the promote: 4 of 4',
        '┃',
        '┃ NODE        ROLE',
        '┃ ────────────────',
        '┃ w-1         worker',
        '┃ mgr-1 & co  manager',
        '┃',
        '┃ Warnings',
        '┃   • even number of managers',
        '┃ Request r1 · only an approver other than @U0OPS can approve',
        '┃',
        '┃ [1] Approve   [2] Deny… ▾',
        '',
      ].join('\n'),
    );
  });

  it('colours by tone: the title and bar, bold, code, mentions; context dimmed', () => {
    const text = renderTerminal(request, { colors: true });
    expect(text).toMatch(/\x1b\[36m┃\x1b\[39m \x1b\[36mℹ\x1b\[39m \x1b\[1m\x1b\[36mApproval needed/);
    expect(text).toContain('\x1b[1mpromote\x1b[22m');
    expect(text).toContain('\x1b[36mw-1\x1b[39m');
    expect(text).toContain('\x1b[34m@U0OPS\x1b[39m');
    expect(text).toMatch(/\x1b\[2mRequest /);
    expect(text).toContain('\x1b[32m\x1b[1m[ Approve ]');
    // with the colours taken off, code loses its backticks (the colour marks it instead)
    expect(stripVTControlCharacters(text)).toMatch(/^┃ ℹ Approval needed[^\n]*\n┃ @U0OPS asks to promote w-1 <worker>/);
    expect(stripVTControlCharacters(renderTerminal(reply('Broken', 'error', []), { colors: true }))).toBe('┃ ✖ Broken\n');
    expect(stripVTControlCharacters(renderTerminal(reply('Careful', 'warn', []), { colors: true }))).toBe('┃ ▲ Careful\n');
  });
});

describe('a code block in the terminal', () => {
  it('loses its fences and keeps its lines exactly (log lines are data)', () => {
    const text = renderTerminal(reply('Logs of web (2 lines)', 'info', [{ kind: 'text', text: 'The last 2:\n```09:00 a | x `y` &lt;z&gt;\n09:01 b | *w*```' }]), { colors: false });
    expect(text).not.toContain('```');
    expect(text).toContain('┃ The last 2:\n┃ 09:00 a | x `y` <z>\n┃ 09:01 b | *w*');
  });
});
