/**
 * The services round's argument shapes, 10,000 cases each: an image
 * reference, SERVICE=REPLICAS lists and a service name either parse to what
 * was meant or are refused with a message that says what to type; none
 * throws anything else, and none backtracks on a long input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageRef, scaleTargets, serviceRef } from '../../src/commands/arguments.js';
import { parseCommand } from '../../src/commands/parse.js';
import { UserFacingError } from '../../src/errors.js';

const RUNS = { numRuns: 10_000 };
const SLOW = { timeout: 60_000 };

function must(condition: unknown, what: () => string): asserts condition {
  if (!condition) throw new Error(what());
}

const lower = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const component = fc.tuple(lower, fc.option(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), lower), { nil: undefined })).map(([a, b]) => (b ? `${a}${b[0]}${b[1]}` : a));
const host = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.constantFrom('', '.example.com', '.internal'), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, d, p]) => `${h}${d}${p ? `:${p}` : ''}`);
const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((d) => `sha256:${d}`);
/** references as registries name them: [host/]path[:tag][@digest] */
const reference = fc
  .tuple(fc.option(host, { nil: undefined }), fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }))
  .map(([h, path, t, d]) => ({ text: `${h ? `${h}/` : ''}${path.join('/')}${t ? `:${t}` : ''}${d ? `@${d}` : ''}`, pinned: Boolean(t || d) }));

describe('image references', () => {
  it('a well-formed reference is accepted as typed, with :latest added only when it has neither tag nor digest', SLOW, () => {
    fc.assert(
      fc.property(reference, (r) => {
        const out = imageRef.safeParse(r.text);
        must(out.success, () => `refused ${r.text}: ${!out.success && out.error.issues[0]?.message}`);
        must(out.data === (r.pinned ? r.text : `${r.text}:latest`), () => `${r.text} became ${out.data}`);
      }),
      RUNS,
    );
  });

  it('any text is a reference or refused with what to type instead, quickly', SLOW, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const out = imageRef.safeParse(text);
        if (out.success) must(/[:@]/.test(out.data) && !/\s/.test(out.data), () => `accepted ${JSON.stringify(text)} as ${out.data}`);
        else must(/Type REPOSITORY\[:TAG\]|at most 255|String must contain at most/.test(out.error.issues[0]?.message ?? ''), () => `message for ${JSON.stringify(text)}: ${out.error.issues[0]?.message}`);
      }),
      RUNS,
    );
  });

  it('a long reference with one bad character at the end is refused at once (no exponential backtracking)', () => {
    const started = performance.now();
    for (const bad of ['a-'.repeat(120) + '!', `${'a.'.repeat(120)}A`, `${'a__'.repeat(80)}:`]) expect(imageRef.safeParse(bad).success).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);

describe('SERVICE=REPLICAS lists', () => {
  it('distinct names with 0 to 1000 replicas parse to exactly what was typed', SLOW, () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 6, selector: ([n]) => n }), (pairs) => {
        const out = scaleTargets.safeParse(pairs.map(([n, r]) => `${n}=${r}`).join(' '));
        must(out.success, () => `refused ${JSON.stringify(pairs)}`);
        must(JSON.stringify(out.data) === JSON.stringify(pairs.map(([n, r]) => ({ name: n, replicas: r }))), () => `${JSON.stringify(pairs)} became ${JSON.stringify(out.data)}`);
      }),
      RUNS,
    );
  });

  it('any text is such a list or refused saying what to type', SLOW, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        const out = scaleTargets.safeParse(text);
        if (out.success) must(out.data.every((t) => t.replicas >= 0 && t.replicas <= 1000) && new Set(out.data.map((t) => t.name)).size === out.data.length, () => `accepted ${JSON.stringify(text)}`);
        else must(/Type e\.g\. `web=6`|named twice|say which service/.test(out.error.issues[0]?.message ?? ''), () => `message for ${JSON.stringify(text)}: ${out.error.issues[0]?.message}`);
      }),
      RUNS,
    );
  });
});

describe('service names and whole service commands', () => {
  it('a service name is a name or refused with what to type', SLOW, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const out = serviceRef.safeParse(text);
        if (out.success) must(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(out.data), () => `accepted ${JSON.stringify(text)}`);
        else must(/Type its name|at most 200/.test(out.error.issues[0]?.message ?? ''), () => `message for ${JSON.stringify(text)}`);
      }),
      RUNS,
    );
  });

  it('any words after `service` parse to a service command or are refused with a /swarm usage line', SLOW, () => {
    const word = fc.oneof(name, fc.constantFrom('logs', 'scale', 'update', 'rollback', 'restart', '--image', '--tail', '--since', '--grep', '--node', '--dry-run', 'web=3', '10m', '2001', '0'), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        const text = ['service', ...words].join(' ');
        try {
          const p = parseCommand(text);
          must(p.name.startsWith('service'), () => `${text} parsed as ${p.name}`);
        } catch (err) {
          must(err instanceof UserFacingError && err.message.includes('/swarm'), () => `${text} threw ${String(err)}`);
        }
      }),
      RUNS,
    );
  });
});
