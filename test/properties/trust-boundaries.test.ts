/**
 * The boundaries issue 21 added or changed, 10,000 cases each (as in
 * boundaries.test.ts, whose helpers and style this follows): the request id
 * derived from Slack's headers, the unlock target's membership check, table
 * cells and texts on their way into Block Kit, the redaction of secrets, and
 * the per-user bound on refusals. Each property logs how long it took.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { requestIdOf } from '../../src/app/ingress.js';
import { refusalBudget } from '../../src/app/refusal-budget.js';
import { reply } from '../../src/domain/reply.js';
import { redactSecrets } from '../../src/errors.js';
import { LIMITS, renderBlockKit } from '../../src/render/block-kit.js';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';

const RUNS = { numRuns: 10_000 };
const SLOW = { timeout: 120_000 };

function must(condition: unknown, what: () => string): asserts condition {
  if (!condition) throw new Error(what());
}
const show = (v: unknown) => JSON.stringify(v)?.slice(0, 300);

/** runs a property and logs its time, for the report */
async function timed(name: string, run: () => unknown): Promise<void> {
  const started = performance.now();
  await run();
  console.log(`property ${name}: ${RUNS.numRuns} cases in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

describe('Slack request headers → requestIdOf', () => {
  it('never throws; an id of 8 base64url characters exactly when both headers are there; the same whatever the headers\' case; another signature another id', SLOW, () =>
    timed('requestIdOf', () =>
      fc.assert(
        fc.property(
          fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          fc.option(fc.string({ maxLength: 120 }), { nil: undefined }),
          fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
          fc.boolean(),
          (timestamp, signature, extra, upper) => {
            const headers: Record<string, string | undefined> = { ...extra };
            delete headers['x-slack-request-timestamp'];
            delete headers['x-slack-signature'];
            if (timestamp !== undefined) headers[upper ? 'X-Slack-Request-Timestamp' : 'x-slack-request-timestamp'] = timestamp;
            if (signature !== undefined) headers[upper ? 'X-SLACK-SIGNATURE' : 'x-slack-signature'] = signature;
            const id = requestIdOf(headers);
            if (!timestamp || !signature) return must(id === undefined, () => `an id without both headers: ${show(headers)}`);
            must(id !== undefined && /^[A-Za-z0-9_-]{8}$/.test(id), () => `bad id ${show(id)}`);
            must(requestIdOf({ 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature }) === id, () => `case changed the id: ${show(headers)}`);
            must(requestIdOf({ 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `${signature}0` }) !== id, () => `another signature, same id: ${show(headers)}`);
          },
        ),
        RUNS,
      ),
    ),
  );
});

describe('unlock <url> → where the kept key may go', () => {
  // managers at 10.0.0.1-3 (Raft on 2377); configured endpoints: 10.0.0.1 and 10.0.0.2 on 2376
  const octet = fc.integer({ min: 0, max: 255 });
  const host = fc.oneof(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.1'), fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')));
  const port = fc.oneof(fc.constant(2376), fc.integer({ min: 1, max: 65535 }));
  it('the key goes to a configured endpoint, or a listed manager on the endpoints\' port, pinned; anything else is refused without being contacted', SLOW, () =>
    timed('unlock target', async () => {
      const keys = new MemoryUnlockKeys();
      await keys.put('prod', 'SWMKEY-1-kept');
      await fc.assert(
        fc.asyncProperty(host, port, async (h, p) => {
          const url = `tcp://${h}:${p}`;
          const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() });
          s.opts.probes = [
            { endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1', localState: 'locked', apiCertFingerprint: 'a1'.repeat(32) }) },
            { endpoint: 'tcp://10.0.0.2:2376', daemonUp: true, info: daemonInfo({ name: 'm2', localState: 'locked', apiCertFingerprint: 'a2'.repeat(32) }) },
          ];
          s.daemons.set(url, daemonInfo({ endpoint: url, name: 'target', localState: 'locked', apiCertFingerprint: 'ff'.repeat(32) }));
          const contacted: string[] = [];
          const inspect = s.nodes.inspectDaemon;
          s.nodes.inspectDaemon = async (u: string) => (contacted.push(u), inspect(u));
          const sent: Array<{ url: string; pin?: string }> = [];
          (s.daemons as { unlock: unknown }).unlock = async (u: string, _k: string, expect?: { certFingerprint: string }) => void sent.push({ url: u, ...(expect ? { pin: expect.certFingerprint } : {}) });
          const err = await answer(s, `unlock ${url}`, { unlockKeys: keys }).then(
            () => undefined,
            (e: unknown) => e as Error,
          );
          const member = p === 2376 && ['10.0.0.1', '10.0.0.2', '10.0.0.3'].includes(h);
          if (!member) {
            must(err && /is not one of `prod`'s managers/.test(err.message), () => `${url}: ${show(err?.message)}`);
            must(sent.length === 0 && contacted.length === 0, () => `${url}: sent ${show(sent)}, contacted ${show(contacted)}`);
            return;
          }
          must(!err, () => `${url}: ${show(err?.message)}`);
          must(sent.length === 1 && sent[0]!.url === url && /^[0-9a-f]{64}$/.test(sent[0]!.pin ?? ''), () => `${url}: sent ${show(sent)}`);
          // a configured endpoint is known from its probe; only a listed-but-unconfigured manager is inspected
          must(contacted.length === (h === '10.0.0.3' ? 1 : 0), () => `${url}: contacted ${show(contacted)}`);
        }),
        RUNS,
      );
    }),
  );
});

describe('table cells and texts → Block Kit as Slack receives it', () => {
  const nasty = fc.array(fc.constantFrom('`', '<', '>', '&', '@', 'here', '!channel', '@U0ADMIN', '*', '_', '~', 'x', ' ', '\n', 'é', 'SWMTKN-1-abc', 'xoxb-1'), { maxLength: 30 }).map((a) => a.join(''));
  it('a cell never leaves its code block, nothing in it is live, and every block stays inside its limit', SLOW, () =>
    timed('table cells', () =>
      fc.assert(
        fc.property(fc.array(fc.array(nasty, { minLength: 2, maxLength: 2 }), { maxLength: 40 }), fc.string({ maxLength: 4000 }), (rows, text) => {
          const m = renderBlockKit(
            reply('t', 'info', [
              { kind: 'table', noun: 'rows', columns: ['A', 'B'], rows },
              { kind: 'text', text: text + '<>&'.repeat(1200) },
              { kind: 'fields', fields: [['a', text + '<&>'.repeat(900)]] },
            ]),
          );
          must(m.blocks.length <= LIMITS.blocks, () => `${m.blocks.length} blocks`);
          for (const b of m.blocks as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>) {
            if (b.type === 'section' && b.text) {
              const t = b.text.text;
              must(t.length <= LIMITS.sectionText, () => `section of ${t.length}`);
              if (t.startsWith('```')) {
                const inner = t.slice(3, -3);
                must(!inner.includes('`') && !/[<>]/.test(inner) && !/&(?!amp;|lt;|gt;)/.test(inner), () => `live markup in a code block: ${show(inner)}`);
              }
            }
            for (const f of b.fields ?? []) must(f.text.length <= LIMITS.fieldText, () => `field of ${f.text.length}`);
          }
          must(m.text.length <= LIMITS.fallbackText, () => `fallback of ${m.text.length}`);
        }),
        RUNS,
      ),
    ),
  );
});

describe('any text → redactSecrets', () => {
  const piece = fc.constantFrom(
    '-----BEGIN PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----',
    '-----END PRIVATE KEY-----',
    '-----END EC PRIVATE KEY-----',
    '-----BEGIN CERTIFICATE-----',
    '-----BEGIN ',
    'SWMTKN-1-abc-def',
    'SWMKEY-1-abc+/=',
    'xoxb-123-abc',
    'MIIE',
    'text ',
    '\n',
  );
  it('leaves no key, token or BEGIN line of a private key; is idempotent; keeps what comes before the first secret', SLOW, () =>
    timed('redactSecrets', () =>
      fc.assert(
        fc.property(fc.string({ maxLength: 20 }).filter((s) => !/[-A-Z]/.test(s)), fc.array(piece, { maxLength: 60 }), (prefix, pieces) => {
          const text = prefix + pieces.join('');
          const out = redactSecrets(text);
          must(!/-----BEGIN [A-Z ]*PRIVATE KEY-----|SWMTKN-1-|SWMKEY-1-|xoxb-[0-9A-Za-z]/.test(out), () => `left in ${show(out)} from ${show(text)}`);
          must(redactSecrets(out) === out, () => `not idempotent on ${show(text)}`);
          must(out.startsWith(prefix), () => `prefix lost: ${show(text)}`);
        }),
        RUNS,
      ),
    ),
  );
});

describe('refusals → the per-user bound', () => {
  it('hands on at most the burst plus one per refill period per user, and every refusal of a user who waits a period', SLOW, () =>
    timed('refusal budget', () =>
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.constantFrom('U1', 'U2', 'U3'), fc.integer({ min: 0, max: 30_000 })), { maxLength: 200 }), (calls) => {
          const budget = refusalBudget({ burst: 5, refillMs: 12_000 });
          let now = 0;
          const seen = new Map<string, { first: number; last: number; taken: number; lastTaken: number }>();
          for (const [user, dt] of calls) {
            now += dt;
            const s = seen.get(user) ?? { first: now, last: now, taken: 0, lastTaken: -Infinity };
            const took = budget.take(user, now);
            if (now - s.lastTaken >= 12_000 || s.taken === 0) must(took, () => `a refusal after a quiet period was not handed on: ${show(calls)}`);
            if (took) (s.taken++, (s.lastTaken = now));
            s.last = now;
            seen.set(user, s);
            must(s.taken <= 5 + Math.floor((s.last - s.first) / 12_000), () => `${user} got ${s.taken} in ${s.last - s.first} ms`);
          }
        }),
        RUNS,
      ),
    ),
  );
});
