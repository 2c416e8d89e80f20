import { describe, expect, it } from 'vitest';
import { createAudit } from '../../src/shared/audit-trail.js';
import { reply } from '../../src/domain/reply.js';
import { LIMITS, renderBlockKit } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeChat, MemoryLog, MemoryState } from '../support/fakes.js';

const TOKEN = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';

describe('Block Kit renderer', () => {
  it('stays inside Slack\'s limits however long the reply', () => {
    const r = reply('x'.repeat(400), 'info', [
      { kind: 'text', text: 'y'.repeat(5000) },
      { kind: 'fields', fields: Array.from({ length: 25 }, (_, i) => [`f${i}`, 'z'.repeat(3000)] as [string, string]) },
      { kind: 'list', title: 'many', items: Array.from({ length: 500 }, (_, i) => `item ${i}`) },
      { kind: 'table', noun: 'rows', columns: ['A', 'B'], rows: Array.from({ length: 2000 }, (_, i) => [`r${i}`, 'v'.repeat(50)]) },
    ]);
    const m = renderBlockKit(r);
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(JSON.stringify(m.blocks).length).toBeLessThan(13_000);
    for (const b of m.blocks as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>) {
      if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(LIMITS.header);
      if (b.text && b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(LIMITS.fields);
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
      }
    }
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });

  it('says when rows were cut, and keeps buttons', () => {
    const m = renderBlockKit(
      reply('t', 'info', [
        { kind: 'table', noun: 'nodes', columns: ['A'], rows: Array.from({ length: 3000 }, (_, i) => [`node-${i}`]) },
      ]),
    );
    expect(JSON.stringify(m.blocks)).toMatch(/Showing \d+ of 3000 nodes/);
  });

  it('renders buttons and a menu as elements of one actions block', () => {
    const m = renderBlockKit(
      reply('Approval needed', 'info', [
        {
          kind: 'buttons',
          buttons: [{ label: 'Approve', actionId: 'ok', value: 'signed', style: 'primary' }],
          select: { placeholder: 'Deny…', actionId: 'no', options: [{ label: 'Not now', value: 'not-now' }] },
        },
      ]),
    );
    expect(m.blocks.at(-1)).toEqual({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Approve' }, action_id: 'ok', value: 'signed', style: 'primary' },
        { type: 'static_select', action_id: 'no', placeholder: { type: 'plain_text', text: 'Deny…' }, options: [{ text: { type: 'plain_text', text: 'Not now' }, value: 'not-now' }] },
      ],
    });
  });

  it('never lets a token through, whatever an action wrote; the plain renderer shows everything', () => {
    const r = reply('Oops', 'error', [{ kind: 'text', text: `docker said: invalid join token ${TOKEN}` }]);
    expect(JSON.stringify(renderBlockKit(r))).not.toContain('SWMTKN-1-3pu6');
    expect(renderPlainText(r)).toContain('docker said');
  });
});

describe('audit', () => {
  it('posts who, what, cluster, outcome, duration and request id, and logs one line, all redacted', async () => {
    const chat = new FakeChat();
    const log = new MemoryLog();
    const history = new MemoryState();
    await createAudit({ chat, log, history }).record(
      { requestId: 'r1', at: '2026-11-21T10:00:00.000Z', user: 'U0OPS', command: `drain ${TOKEN}`, cluster: 'prod', outcome: 'refused', detail: `bad ${TOKEN}`, durationMs: 1500 },
      { auditChannel: 'C0AUDIT', auditRetentionDays: 400 },
    );
    const posted = JSON.stringify(chat.posts);
    expect(chat.posts[0]!.channel).toBe('C0AUDIT');
    for (const s of ['<@U0OPS>', 'prod', 'refused', '1.5 s', 'request `r1`']) expect(posted).toContain(s);
    expect(posted).not.toContain('SWMTKN-1-3pu6');
    expect(log.lines).toHaveLength(1);
    expect(JSON.stringify(log.lines)).not.toContain('SWMTKN-1-3pu6');
    expect(history.events).toHaveLength(1);
    expect(JSON.stringify(history.events)).not.toContain('SWMTKN-1-3pu6');
  });
});
