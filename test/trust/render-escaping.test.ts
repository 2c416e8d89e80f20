/**
 * Issue 21, findings 6 and 11: table cells reach Slack escaped (a cell can't
 * close the code block nor become a live mention), and Block Kit's limits
 * hold for what Slack receives, that is after escaping.
 */
import { describe, expect, it } from 'vitest';
import { reply, type Reply } from '../../src/domain/reply.js';
import { LIMITS, renderBlockKit } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';

type Block = { type: string; text?: { text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text?: string }> };

const texts = (r: Reply) =>
  (renderBlockKit(r).blocks as Block[]).flatMap((b) => [b.text?.text, ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)]).filter((t): t is string => t !== undefined);

describe('table cells', () => {
  // what a no-role user typed, refused, then shown in `/swarm audit`
  const typed = 'status ```<@U0ADMIN> <!channel> & `x`';
  const audit = reply('Audit', 'info', [{ kind: 'table', noun: 'events', columns: ['WHO', 'COMMAND'], rows: [['U0NOROLE', typed], ['lab-<@U0ADMIN>', 'a&b']] }]);

  it('stay inside the code block: no backtick run closes it, no mention or entity is live', () => {
    const [block] = texts(audit).filter((t) => t.startsWith('```'));
    expect(block).toBeDefined();
    const inner = block!.slice(3, -3);
    expect(inner).not.toContain('`');
    expect(inner).not.toMatch(/[<>]/);
    expect(inner).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(inner).toContain('&lt;@U0ADMIN&gt;');
    expect(inner).toContain('a&amp;b');
  });

  it('line up as typed once Slack shows the entities as characters', () => {
    const [block] = texts(audit).filter((t) => t.startsWith('```'));
    const shown = block!.slice(3, -3).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').split('\n');
    expect(shown[1]!.indexOf('status')).toBe(shown[0]!.indexOf('COMMAND'));
    expect(shown[2]!.indexOf('a&b')).toBe(shown[0]!.indexOf('COMMAND'));
  });

  it('show as typed in the terminal (plain text)', () => {
    const out = renderPlainText(reply('t', 'info', [{ kind: 'table', noun: 'x', columns: ['A'], rows: [['&lt; is not <'], ['*not bold*']] }]));
    expect(out).toContain('&lt; is not <');
    expect(out).toContain('*not bold*');
  });
});

describe("Block Kit limits, after escaping", () => {
  const angry = '<>&'.repeat(3000);

  it('a section of text full of < > & is at most 3,000 characters as sent', () => {
    for (const t of texts(reply('t', 'info', [{ kind: 'text', text: angry }]))) expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('fields, lists and context stay inside their limits as sent', () => {
    const r = reply('t', 'info', [
      { kind: 'fields', fields: [['<a>', angry]] },
      { kind: 'list', title: '<t>', items: [angry, angry] },
      { kind: 'context', text: angry },
    ]);
    const blocks = renderBlockKit(r).blocks as Block[];
    for (const b of blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
      for (const e of b.elements ?? []) if (e.text !== undefined) expect(e.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    expect(JSON.stringify(blocks).length).toBeLessThan(13_000);
  });

  it('a cut never splits an entity', () => {
    for (const t of texts(reply('t', 'info', [{ kind: 'text', text: 'x' + angry }, { kind: 'fields', fields: [['a', 'yy' + angry]] }]))) {
      expect(t).not.toMatch(/&(?:l|lt|g|gt|a|am|amp)…/);
    }
  });

  it('the fallback text is at most 3,000 characters as sent', () => {
    expect(renderBlockKit(reply('t', 'info', [{ kind: 'text', text: angry }])).text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });

  it('a secret that gets longer when redacted does not push a section past the limit', () => {
    const text = 'xoxb-1 '.repeat(600);
    for (const t of texts(reply('t', 'info', [{ kind: 'text', text }]))) expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });
});
