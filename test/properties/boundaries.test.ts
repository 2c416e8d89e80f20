/**
 * Properties of every zod boundary, 10,000 cases each: what a person types
 * (the slash command's text), what reaches the worker (a job payload), what
 * comes back from a button (a signed approval value) and what an operator
 * stores (the policy JSON). Each boundary either accepts or refuses with the
 * error it promises; none throws anything else.
 *
 * Inside properties the checks are plain `must(...)` calls, not `expect`:
 * 10,000 cases of vitest's matchers would cost more than the code under test.
 * Findings in src were first written as `it.fails`, each with the exact input; they pass since the fixes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptCommand } from '../../src/app/ingress.js';
import { MAX_INPUT_LENGTH, parseCommand, type ParsedCommand } from '../../src/commands/parse.js';
import { REGISTRY, type CommandSpec } from '../../src/commands/registry.js';
import { parsePolicy, PolicySchema } from '../../src/config/policy.js';
import { ApprovalRequest, signApproval, verifyApproval } from '../../src/domain/approval.js';
import { canonicalJson, JOB_MAX_AGE_MS, signJob, verifyJob } from '../../src/domain/job-signature.js';
import { ConfigError, UserFacingError } from '../../src/errors.js';
import { Job } from '../../src/jobs.js';
import { sanitizeMrkdwn } from '../../src/render/escape.js';
import { FakeQueue, MemoryLog, policies } from '../support/fakes.js';

const RUNS = { numRuns: 10_000 };
/** a slow, shared 2-core machine: the properties take seconds, not the default 5 s at most */
const SLOW = { timeout: 60_000 };
const SECRET = 'property-signing-secret';
const NOW = new Date('2026-11-21T10:00:00Z');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function must(condition: unknown, what: () => string): asserts condition {
  if (!condition) throw new Error(what());
}

/** Calls `fn`; the thrown value, or undefined when it returned. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 300);

// ---------------------------------------------------------------------------
// command text → parseCommand
// ---------------------------------------------------------------------------

/**
 * How long a refusal may be. The parser quotes what was typed (escaped:
 * `&` becomes `&amp;`, five characters for one), so a message is bounded by
 * five times the 1000-character input, not by a fixed size: 1000 `&` give
 * "Unknown command `&amp;…`" of 5,060 characters (see the report).
 */
const MAX_MESSAGE = 5 * MAX_INPUT_LENGTH + 300;

/**
 * A refusal: a UserFacingError (a UsageError) whose message is not empty and
 * says what to type. Every message the parser writes names a `/swarm …`
 * command: the usage line, `/swarm help`, `/swarm rotate both` or the
 * subcommands to choose from.
 */
function mustBeUsefulRefusal(err: unknown, text: string): asserts err is UserFacingError {
  must(err instanceof UserFacingError, () => `parseCommand(${show(text)}) threw ${(err as Error)?.stack ?? String(err)}`);
  must(err.code === 'USAGE', () => `code ${err.code} for ${show(text)}`);
  must(err.message.trim().length > 0, () => `empty message for ${show(text)}`);
  must(err.message.includes('/swarm'), () => `no /swarm in ${show(err.message)} for ${show(text)}`);
  // a join token is refused without being echoed
  must(!/SWMTKN-1-/i.test(err.message), () => `token echoed: ${show(err.message)}`);
  must(err.message.length <= MAX_MESSAGE, () => `${err.message.length} characters for ${show(text)}`);
}

function parsedOrRefused(text: string): ParsedCommand | UserFacingError {
  let parsed: ParsedCommand | undefined;
  const err = thrown(() => (parsed = parseCommand(text)));
  if (err !== undefined) {
    mustBeUsefulRefusal(err, text);
    return err;
  }
  must(parsed && REGISTRY.get(parsed.name) === parsed.spec, () => `parsed ${show(text)} as ${parsed?.name}`);
  return parsed;
}

/** Words and marks that reach the parser's branches: commands, flags, quotes, dashes, Slack markup, tokens. */
const PIECES = [
  ...new Set([...REGISTRY.keys()].flatMap((n) => n.split(' '))),
  ...new Set([...REGISTRY.values()].flatMap((s) => Object.keys(s.flags).map((f) => `--${f}`))),
  '--', '---', '-', '—', '–', '—dry-run', '–cluster', '—-cluster', '--cluster=', '--dry-run=yes', '--limit=5', '--clustr', '--__proto__', '--constructor',
  '"', "'", '“', '”', '‘', '’', '"a b"', "'x y'", '“overlay create”', '""',
  '<', '>', '<>', '&', '<@U0OPS>', '<@U0OPS|ops>', '<!channel>', '<!here>', '@here', '@channel', '<#C0PROD|prod>', '<https://x:1|x>', '|', '=', '`', '*', '_', '~',
  'SWMTKN-', 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2', 'swmtkn-1-abc', 'SWMKEY-1-abc', 'xoxb-123-abc',
  'tcp://10.0.0.5:2376', '<tcp://10.0.0.5:2376|10.0.0.5:2376>', 'https://[fd00::5]:2376', '10.0.0.1', '10.20.0.0/24', '::1', 'fe80::1%eth0', '010.0.0.1',
  'worker', 'manager', 'both', 'Both', 'prod', 'staging', '24h', '0d', '91d', '1e3', '0x10', '-1', 'NaN',
  'toString', 'hasOwnProperty', '__proto__', '🐳', 'é', 'İ', 'ß', '\u0000', '\u200b', '\u2060', '\ufeff', '\n', '\t', '\r\n', ' ', '   ',
];

const pieceOrNoise = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

/**
 * Long inputs near and over the 1000-character limit. The repeated unit
 * always holds a character that no overlay name may hold within a few
 * characters, so no long run reaches the name's regular expression (see the
 * exponential case written as `it.fails` below).
 */
const longText = fc
  .tuple(
    fc.constantFrom('', 'status ', 'help ', 'join worker ', 'audit --user ', 'nodes --cluster ', 'rotate ', 'x', 'status --'),
    fc.constantFrom(' ', 'a ', '& ', '&', '—', '"x" ', '<@U1> ', 'é', '🐳', 'x-', 'SWMTKN-', '<!here>', '`'),
    fc.integer({ min: 400, max: 1300 }),
  )
  .map(([head, unit, n]) => head + unit.repeat(Math.ceil(n / unit.length)));

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.array(pieceOrNoise, { maxLength: 12 }).map((ts) => ts.join(' ')),
  fc.array(pieceOrNoise, { maxLength: 8 }).map((ts) => ts.join('')),
  longText,
);

/** Right values mostly, wrong ones sometimes. */
const mostly = (good: fc.Arbitrary<string>, bad: string[]) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const ip4 = fc.ipV4();
const IP6 = ['fd00::5', '::1', '2001:db8::1', '::ffff:10.0.0.1', 'FD00:0:0::5'];
/** Plausible values for each argument; overlay names stay short (see the `it.fails` on dockerName). */
const valuesFor: Record<string, fc.Arbitrary<string>> = {
  url: mostly(
    fc.oneof(
      fc.tuple(fc.constantFrom('tcp', 'https'), fc.oneof(ip4, fc.constantFrom('node-1.example.com', 'wrk3', 'a.b-c.d')), fc.integer({ min: 1, max: 65_535 })).map(([s, h, p]) => `${s}://${h}:${p}`),
      fc.tuple(fc.constantFrom(...IP6), fc.integer({ min: 1, max: 65_535 })).map(([h, p]) => `tcp://[${h}]:${p}`),
      fc.constantFrom('<tcp://10.0.0.5:2376|10.0.0.5:2376>', 'tcp://10.0.0.5:2376/'),
    ),
    ['tcp://10.0.0.5', 'http://10.0.0.5:2376', 'tcp://[10.0.0.1]:2376', 'tcp://::1:2376', 'tcp://10.0.0.5:0', 'tcp://10.0.0.5:65536', 'tcp://1.2.3:2376', 'tcp://-x:1', 'tcp://10.0.0.5:2376/x', 'nonsense', 'x`*Zq*`'],
  ),
  ip: mostly(fc.oneof(ip4, fc.constantFrom(...IP6)), ['010.0.0.1', '10.1', 'fe80::1%eth0', '256.1.1.1', 'localhost', '<!here>']),
  subnet: mostly(
    fc.oneof(fc.tuple(ip4, fc.integer({ min: 0, max: 32 })).map(([ip, p]) => `${ip}/${p}`), fc.constantFrom('fd00:20::/64', '::ffff:10.0.0.0/104')),
    ['10.20.0.0', '10.20.0.0/', '/24', '10.20.0.0/33', 'x/8', '::/129'],
  ),
  node: mostly(fc.tuple(fc.constantFrom('wrk', 'mgr', 'node', 'x7k2p', 'Wrk_1.lab'), fc.nat(99)).map(([a, n]) => `${a}-${n}`), ['-x', '🐳', 'x'.repeat(254), '.a']),
  name: mostly(fc.tuple(fc.constantFrom('app', 'net', 'db_net', 'A1'), fc.nat(99)).map(([a, n]) => `${a}-${n}`), ['a.b', '-x', 'x-', 'x'.repeat(63), 'x'.repeat(64), 'é']),
  which: mostly(fc.constantFrom('worker', 'manager', 'both', 'Both', 'WORKER'), ['wroker', 'bth', 'all']),
  topic: mostly(fc.constantFrom(...REGISTRY.keys(), 'overlay', 'stauts'), ['x'.repeat(41)]),
  cluster: mostly(fc.constantFrom('prod', 'staging', 'x'.repeat(64), '<!here>'), ['x'.repeat(65)]),
  user: mostly(fc.constantFrom('@U0OPS', '<@U0OPS>', '<@U0OPS|ops>', 'U0OPS', 'W123ABC'), ['alice', '@alice', '<@u0ops>', 'U1']),
  since: mostly(fc.tuple(fc.integer({ min: 1, max: 90 }), fc.constantFrom('m', 'h', 'd', 'D')).map(([n, u]) => `${n}${u}`), ['0h', '91d', '2161h', '1w', '10000d', '-1d']),
  limit: mostly(fc.integer({ min: 1, max: 100 }).map(String), ['0', '101', '1.5', 'abc', 'Infinity']),
  filter: mostly(fc.constantFrom('down', 'manager', 'worker', 'drain', 'ready', 'Down', 'az=eu-west-1a', 'tier='), ['dwn', '=x', 'a b=c']),
  page: mostly(fc.integer({ min: 1, max: 10_000 }).map(String), ['0', '10001', 'x']),
  changes: mostly(fc.constantFrom('az=eu-west-1a', 'zone-', 'tier=db', 'az=1 zone-', 'com.example/x=1'), ['=x', '-', 'a b=', '.a=1']),
  mode: mostly(fc.constantFrom('on', 'off', 'rotate', 'ON'), ['of', 'enable']),
};
const VALUE_KIND: Record<string, keyof typeof valuesFor> = {
  url: 'url', 'advertise-addr': 'ip', 'data-path-addr': 'ip', gateway: 'ip', subnet: 'subnet', node: 'node', name: 'name',
  which: 'which', topic: 'topic', cluster: 'cluster', user: 'user', since: 'since', limit: 'limit',
  filter: 'filter', page: 'page', changes: 'changes', mode: 'mode', target: 'ref', from: 'ref',
};
valuesFor['ref'] = fc.oneof(valuesFor['url']!, valuesFor['node']!);
/** an argument this file does not know yet (the registry grows): words, right or wrong */
const someWord = fc.oneof(fc.constantFrom('x', 'wrk-1', 'on', 'a=b', '--', '<!here>'), fc.string({ maxLength: 8 }));
const valueFor = (arg: string): fc.Arbitrary<string> => valuesFor[VALUE_KIND[arg] ?? ''] ?? someWord;
/** `arb`'s value one time in `n`, else undefined (fc.option's `freq` is the other way round) */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
/** A token as a person would type it: quoted when it holds a space or is empty. */
const typed = (v: string) => (v === '' || /\s/.test(v) ? `"${v}"` : v);

/** One flag as typed: right, with `=`, with a phone's em dash; sometimes without its value, or with a value it does not take. */
function flagChunk(name: string, type: 'boolean' | 'string'): fc.Arbitrary<string> {
  if (type === 'boolean') return fc.constantFrom(`--${name}`, `--${name}`, `--${name}`, `—${name}`, `--${name}=yes`);
  return fc.oneof(
    { weight: 8, arbitrary: valueFor(name).map((v) => `--${name} ${typed(v)}`) },
    { weight: 2, arbitrary: valueFor(name).map((v) => `--${name}=${typed(v)}`) },
    { weight: 2, arbitrary: valueFor(name).map((v) => `—${name} ${typed(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom(`--${name}`, `--${name} --dry-run`, `--${name}=`) },
  );
}

/** A command from the registry with positionals and flags drawn from its own declaration, sometimes a little wrong. */
const commandOf = (spec: CommandSpec): fc.Arbitrary<string> => {
  const flagNames = Object.keys(spec.flags);
  return fc
    .record({
      words: fc.constantFrom(spec.name, spec.name, spec.name.toUpperCase(), spec.name.replace(/^./, (c) => c.toUpperCase())),
      positionals: fc.tuple(fc.constant(undefined), ...spec.positionals.map((p) => fc.option(valueFor(p.name).map(typed), { freq: 12, nil: undefined }))),
      extra: rarely(fc.constantFrom('extra', 'a', '@here', '--', '<!channel>', '&'), 10),
      flags: fc.shuffledSubarray(flagNames, { maxLength: Math.min(3, flagNames.length) }).chain((names) => (names.length ? fc.tuple(...names.map((n) => flagChunk(n, spec.flags[n]!))) : fc.constant([] as string[]))),
      odd: rarely(fc.constantFrom('--clustr prod', '--dryrun', '--cluster prod --cluster staging', '--dry-run --dry-run', '--limit', '--constructor'), 12),
      flagsFirst: fc.boolean(),
    })
    .map(({ words, positionals, extra, flags, odd, flagsFirst }) => {
      const pos = [...positionals.filter((p): p is string => p !== undefined), ...(extra ? [extra] : [])];
      const fl = [...flags, ...(odd ? [odd] : [])];
      return [words, ...(flagsFirst ? [...fl, ...pos] : [...pos, ...fl])].join(' ');
    });
};
const validLooking = fc.constantFrom(...REGISTRY.values()).chain((spec) => commandOf(spec).map((text) => ({ spec, text })));

/** Which of the parser's paths a refusal came from. */
const PATHS: Array<[string, RegExp]> = [
  ['unknown option', /has no option/],
  ['option given twice', /is given twice/],
  ['option takes no value', /takes no value/],
  ['option needs a value', /needs a value/],
  ['missing positional', /^`[a-z ]+` needs </],
  ['unexpected word', /^Unexpected /],
  ['argument invalid', /^(<[^>]+>|--[a-z-]+):? /],
];

describe('command text → parseCommand', () => {
  it('any text parses to a registered command or is refused with a UsageError that says what to type', SLOW, () => {
    fc.assert(
      fc.property(anyText, (text) => {
        parsedOrRefused(text);
      }),
      RUNS,
    );
  });

  it('commands built from the registry reach every path of the parser; what parses is the command that was typed', SLOW, () => {
    const hits = new Map<string, number>();
    const count = (k: string) => hits.set(k, (hits.get(k) ?? 0) + 1);
    fc.assert(
      fc.property(validLooking, ({ spec, text }) => {
        const out = parsedOrRefused(text);
        if (out instanceof UserFacingError) {
          count(PATHS.find(([, re]) => re.test(out.message))?.[0] ?? 'other');
          return;
        }
        count('parsed');
        must(out.name === spec.name, () => `${show(text)} parsed as ${out.name}`);
        const declared = new Set([...spec.positionals.map((p) => p.name), ...Object.keys(spec.flags)]);
        for (const key of Object.keys(out.args)) must(declared.has(key), () => `${show(text)} gave undeclared ${key}`);
      }),
      RUNS,
    );
    // the generator is worth its name: many commands parse, and each kind of refusal is met
    expect(hits.get('parsed') ?? 0).toBeGreaterThan(RUNS.numRuns / 5);
    for (const [path] of PATHS) expect.soft(hits.get(path) ?? 0, path).toBeGreaterThan(0);
    expect(hits.get('other') ?? 0).toBe(0);
  });

  it('a join token anywhere is refused without being echoed', SLOW, () => {
    const token = fc.tuple(fc.constantFrom('SWMTKN', 'swmtkn', 'SwMtKn'), fc.stringMatching(/^[0-9a-z]{10,50}-[0-9a-z]{10,25}$/)).map(([p, rest]) => `${p}-1-${rest}`);
    fc.assert(
      fc.property(anyText, token, anyText, (before, t, after) => {
        const text = `${before} ${t} ${after}`;
        const err = thrown(() => parseCommand(text));
        mustBeUsefulRefusal(err, text);
        must(!err.message.includes(t), () => `token echoed for ${show(text)}`);
      }),
      RUNS,
    );
  });

  it('the acknowledgement (refusal or hand-off) is safe mrkdwn whatever was typed: nothing left to escape, no broadcast', SLOW, async () => {
    const queue = new FakeQueue();
    const deps = { secrets: async () => ({ signingSecret: 's', botToken: 'b', botUserId: 'U0BOT' }), policies: policies(), queue, log: new MemoryLog(), clock: { now: () => NOW }, newRequestId: () => 'req1' };
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyText, validLooking.map((v) => v.text)), async (text) => {
        queue.jobs.length = 0;
        const { response_type, text: said } = await acceptCommand(deps, { text, user_id: 'U0OPS', channel_id: 'C0OTHER', response_url: 'https://hooks.slack.test/r' });
        must(response_type === 'ephemeral', () => `${response_type} for ${show(text)}`);
        must(sanitizeMrkdwn(said) === said, () => `unescaped ack ${show(said)} for ${show(text)}`);
        must(/^:(warning|hourglass_flowing_sand):/.test(said), () => `unexpected ack ${show(said)} for ${show(text)}`);
        must(said.startsWith(':hourglass') === (queue.jobs.filter((j) => j.kind === 'command').length === 1), () => `ack ${show(said)} with ${queue.jobs.length} jobs`);
      }),
      RUNS,
    );
  });

  // FINDING (src/commands/parse.ts, parseCommand): `flagTypes[flagName]` and
  // `flagName in raw` read the prototype chain of plain objects, so a flag
  // named after an Object.prototype member is taken for a known flag that was
  // already given: `status --constructor` is refused with "`--constructor` is
  // given twice", not "`status` has no option `--constructor`". Should use
  // Object.hasOwn (or null-prototype objects).
  it.each(['status --constructor', 'status --__proto__', 'help --toString=1', 'rotate worker --hasOwnProperty'])(
    'an option named after an Object.prototype member (%j) is unknown, not "given twice"',
    (text) => {
      const err = thrown(() => parseCommand(text));
      mustBeUsefulRefusal(err, text);
      expect(err.message).toMatch(/has no option/);
    },
  );

  // FINDING (src/commands/validators.ts, dockerName): the regular expression
  // /^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9]+)*$/ nests `+` inside `*` with an
  // optional separator, so a run of letters followed by one character it
  // refuses backtracks exponentially (26 letters + "!": ~0.3 s, each further
  // letter doubles it; 40 letters would take hours). zod runs the regex even
  // after `.max(63)` fails. `/swarm overlay rm aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!`
  // from any Slack user (parsing comes before authorization) pins the
  // ingress far past Slack's 3 s. An equivalent linear pattern:
  // /^[a-zA-Z0-9]+(?:[-_]+[a-zA-Z0-9]+)*$/.
  it('an overlay name of 26 letters and a "!" is refused at once (no exponential backtracking)', () => {
    const started = performance.now();
    const err = thrown(() => parseCommand(`overlay rm ${'a'.repeat(26)}!`));
    const took = performance.now() - started;
    mustBeUsefulRefusal(err, 'overlay rm …!');
    expect(took).toBeLessThan(50);
  });

  // FINDING (src/commands/validators.ts dockerApiUrl, ipAddress, cidr;
  // src/commands/registry.ts duration): their messages quote the typed value
  // as `\`${raw}\`` instead of code(raw), so a typed backtick ends the code
  // span and the rest is read as mrkdwn. The ingress's sanitizeMrkdwn escapes
  // `<`, `>` and broadcasts but not backticks, so `/swarm join worker
  // x`*Zq*`` is acknowledged with "`x`*Zq*`` is not a Docker API URL" and
  // *Zq* shows in bold. product.md ("Trust"): "Nothing a person … typed can
  // format a message". (Unknown commands, options and extra words already go
  // through code().)
  describe('a typed backtick in a refused value', () => {
    const ack = async (text: string) => {
      const deps = { secrets: async () => ({ signingSecret: 's', botToken: 'b', botUserId: 'U0BOT' }), policies: policies(), queue: new FakeQueue(), log: new MemoryLog(), clock: { now: () => NOW }, newRequestId: () => 'req1' };
      return (await acceptCommand(deps, { text, user_id: 'U0OPS', channel_id: 'C0OTHER', response_url: 'https://hooks.slack.test/r' })).text;
    };
    /** what the person typed shows only inside code spans (odd segments between backticks) */
    const outsideCode = (said: string) => said.split('`').filter((_, i) => i % 2 === 0).join('');
    it.each(['x`*Zq*`', 'status x`*Zq*`', 'status --x`*Zq*`', 'overlay x`*Zq*`'])('stays inside the code span for %j', async (text) => {
      expect(outsideCode(await ack(text))).not.toMatch(/zq/i);
    });
    it.each([
      'join worker x`*Zq*`',
      'join worker tcp://10.0.0.5:2376 --advertise-addr x`*Zq*`',
      'overlay create n --subnet x`*Zq*`',
      'audit --since x`*Zq*`',
    ])('stays inside the code span for %j', async (text) => {
      expect(outsideCode(await ack(text))).not.toMatch(/zq/i);
    });
  });
});

// ---------------------------------------------------------------------------
// job payloads → the worker's boundary (verifyJob, then Job.safeParse)
// ---------------------------------------------------------------------------

const text1 = (max: number) => fc.string({ minLength: 1, maxLength: max });
const issuedAt = fc.integer({ min: -(JOB_MAX_AGE_MS - 1000), max: 50_000 }).map((d) => new Date(NOW.getTime() + d).toISOString());
const url = fc.constantFrom('https://hooks.slack.com/commands/T0/1/abc', 'https://hooks.slack.test/r/1', 'http://127.0.0.1:9/r');

const commandJob = fc.record(
  {
    kind: fc.constant('command' as const), requestId: text1(64), text: fc.string({ maxLength: 100 }), command: fc.constantFrom(...REGISTRY.keys()),
    cluster: text1(20), user: text1(20), channel: text1(20), team: fc.string({ maxLength: 32 }), responseUrl: url, issuedAt,
  },
  { requiredKeys: ['kind', 'requestId', 'text', 'command', 'cluster', 'user', 'channel', 'responseUrl', 'issuedAt'] },
);
const decisionJob = fc.record(
  {
    kind: fc.constant('decision' as const), requestId: text1(64), decision: fc.constantFrom('approve' as const, 'deny' as const), reason: fc.string({ maxLength: 40 }),
    value: fc.string({ maxLength: 100 }), user: text1(20), channel: text1(20), messageTs: text1(20), team: fc.string({ maxLength: 32 }), responseUrl: url, issuedAt,
  },
  { requiredKeys: ['kind', 'requestId', 'decision', 'value', 'user', 'channel', 'messageTs', 'responseUrl', 'issuedAt'] },
);
const auditJob = fc.record({
  kind: fc.constant('audit' as const),
  event: fc.record(
    {
      requestId: fc.string({ maxLength: 64 }), at: issuedAt, user: fc.string(), command: fc.string(), cluster: fc.string(),
      outcome: fc.constantFrom('requested', 'refused', 'succeeded', 'failed', 'dry-run', 'approved', 'denied', 'expired'),
      detail: fc.string({ maxLength: 100 }), durationMs: fc.nat(), approver: fc.string(),
    },
    { requiredKeys: ['requestId', 'at', 'user', 'command', 'outcome', 'detail'] },
  ),
  issuedAt,
});
const anyJob = fc.oneof(commandJob, decisionJob, auditJob);

/** JSON values, cheap to make: scalars mostly, sometimes a small array or object of them */
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const smallJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }) },
);
/** Objects shaped somewhat like jobs: the real keys, a `sig`, and any JSON for values. */
const jobLike = fc.dictionary(
  fc.constantFrom('kind', 'requestId', 'text', 'command', 'cluster', 'user', 'channel', 'team', 'responseUrl', 'issuedAt', 'sig', 'event', 'decision', 'value', 'messageTs', '__proto__', 'constructor'),
  fc.oneof(smallJson, fc.string(), fc.constantFrom('command', 'audit', 'decision', NOW.toISOString(), 'not a date')),
  { maxKeys: 10 },
);

describe('job payloads → verifyJob and Job.safeParse', () => {
  it('verifyJob never throws on arbitrary JSON, and refuses all that the ingress did not sign', SLOW, () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), jobLike, fc.dictionary(fc.string(), smallJson, { maxKeys: 6 })), (payload) => {
        let check: ReturnType<typeof verifyJob> | undefined;
        const err = thrown(() => (check = verifyJob(payload, SECRET, NOW)));
        must(err === undefined, () => `verifyJob(${show(payload)}) threw ${String(err)}`);
        must(check?.ok === false && check.why.length > 0, () => `verifyJob(${show(payload)}) → ${show(check)}`);
      }),
      RUNS,
    );
  });

  it('verifyJob never throws on arbitrary JSON signed with the secret, and accepts it exactly when it is fresh', SLOW, () => {
    const when = fc.oneof(issuedAt, fc.string({ maxLength: 30 }), fc.constantFrom('2026-11-21T09:00:00Z', '2026-11-21T10:05:00Z', '2026-11-21T09:45:00.000Z', '0', '1e20', ''));
    fc.assert(
      fc.property(jobLike, when, (obj, at) => {
        const { sig: _dropped, ...rest } = obj;
        const payload = JSON.parse(JSON.stringify(signJob({ ...rest, issuedAt: at }, SECRET))) as unknown;
        const check = verifyJob(payload, SECRET, NOW);
        const t = Date.parse(at);
        const fresh = !Number.isNaN(t) && NOW.getTime() - t <= JOB_MAX_AGE_MS && t - NOW.getTime() <= 60_000;
        must(check.ok === fresh, () => `issuedAt ${show(at)} → ${show(check)}`);
      }),
      RUNS,
    );
  });

  it('a signed job of each kind survives JSON transport and is a Job', SLOW, () => {
    for (const job of fc.sample(anyJob, 300)) {
      const check = verifyJob(JSON.parse(JSON.stringify(signJob(job, SECRET))), SECRET, NOW);
      expect(check.ok && Job.safeParse(check.job).success).toBe(true);
    }
  });

  it('a signed job with any single field changed, added or removed fails verification', SLOW, () => {
    const mutation = fc.record({
      pick: fc.nat(),
      op: fc.constantFrom('replace', 'replace', 'remove', 'add'),
      value: smallJson,
      newKey: fc.string({ minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(anyJob, mutation, (job, m) => {
        // (that a signed job verifies is the property above; each verification costs an HKDF)
        const signed = JSON.parse(JSON.stringify(signJob(job, SECRET))) as Record<string, unknown>;

        const fields = Object.keys(signed).filter((k) => k !== 'sig');
        const key = fields[m.pick % fields.length]!;
        const changed: Record<string, unknown> = { ...signed };
        if (m.op === 'remove') delete changed[key];
        else if (m.op === 'add') {
          // `x in signed` also holds for Object.prototype's names, which would set the prototype, not a field
          fc.pre(!(m.newKey in signed));
          changed[m.newKey] = m.value;
        } else {
          changed[key] = canonicalJson(m.value) === canonicalJson(signed[key]) ? [m.value] : m.value;
        }
        const check = verifyJob(JSON.parse(JSON.stringify(changed)), SECRET, NOW);
        must(!check.ok && check.why === 'bad signature', () => `${m.op} ${key}/${m.newKey} → ${show(check)}`);
      }),
      RUNS,
    );
  });

  // FINDING (src/domain/job-signature.ts, verifyJob): the signature is
  // compared after Buffer.from(sig, 'base64url'), which decodes leniently: it
  // skips characters outside the alphabet, reads `+` and `/` as `-` and `_`,
  // and ignores the 2 spare bits of the 43rd character. So a `sig` that is not
  // the one the ingress wrote still verifies: its last character replaced by
  // a sibling (…g → …h), a `-` replaced by `+`. No content can be forged and
  // the ledger keys on requestId, so the impact is low, but a changed field
  // (`sig`) passes. Fix: compare the text, e.g. also require
  // `given.toString('base64url') === sig`.
  it('every single-character change of `sig` fails verification', () => {
    const signed = signJob({ kind: 'command', requestId: 'r1', text: 'status', command: 'status', cluster: 'prod', user: 'U1', channel: 'C1', responseUrl: 'https://hooks.slack.com/x', issuedAt: NOW.toISOString() }, SECRET);
    const accepted: string[] = [];
    for (let i = 0; i < signed.sig.length; i++) {
      for (const c of `${B64URL}+/=.!`) {
        if (c === signed.sig[i]) continue;
        const sig = signed.sig.slice(0, i) + c + signed.sig.slice(i + 1);
        if (verifyJob({ ...signed, sig }, SECRET, NOW).ok) accepted.push(sig);
      }
    }
    expect(accepted).toEqual([]);
  });

  // FINDING (src/domain/job-signature.ts, verifyJob → canonicalJson): the MAC
  // is computed over canonicalJson(payload) before the signature is
  // compared, and canonicalJson recurses once per level of nesting, so a
  // payload of ~10 kB (5,000 nested arrays, well under Lambda's 256 kB
  // asynchronous payload) throws RangeError: Maximum call stack size
  // exceeded out of verifyJob, and so out of the worker's handler, instead of
  // { ok: false } and the "refused a job that the ingress did not issue" log.
  it('verifyJob refuses a deeply nested payload instead of throwing', () => {
    const depth = 5000;
    const payload = JSON.parse(`{"kind":"command","sig":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`) as unknown;
    expect(thrown(() => verifyJob(payload, SECRET, NOW))).toBeUndefined();
  });

  it('Job.safeParse never throws on arbitrary JSON, and what it accepts is one of the three kinds', SLOW, () => {
    const kinded = fc.tuple(jobLike, fc.constantFrom('command', 'audit', 'decision', 'other')).map(([o, kind]) => ({ ...o, kind }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), jobLike, kinded, anyJob as fc.Arbitrary<unknown>), (value) => {
        let result: ReturnType<typeof Job.safeParse> | undefined;
        const err = thrown(() => (result = Job.safeParse(value)));
        must(err === undefined, () => `Job.safeParse(${show(value)}) threw ${String(err)}`);
        must(!result!.success || ['command', 'audit', 'decision'].includes(result!.data.kind), () => `accepted ${show(value)}`);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------
// button values → verifyApproval
// ---------------------------------------------------------------------------

const approvalRequest: fc.Arbitrary<ApprovalRequest> = fc.record(
  {
    v: fc.constant(1 as const), id: text1(64), text: text1(100), cluster: text1(20), requester: text1(20), channel: text1(20), exp: fc.integer(),
    binding: fc.dictionary(fc.string({ maxLength: 64 }), fc.string({ maxLength: 100 }), { maxKeys: 3 }),
  },
  { requiredKeys: ['v', 'id', 'text', 'cluster', 'requester', 'channel', 'exp'] },
);
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('button values → verifyApproval', () => {
  it('never throws on arbitrary strings and accepts none that were not signed with the secret', SLOW, () => {
    const forged = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(fc.constantFrom(...`${B64URL}.=+/ `), { maxLength: 100 }).map((cs) => cs.join('')),
      fc.tuple(smallJson, fc.string({ maxLength: 60 })).map(([j, mac]) => `${b64(JSON.stringify(j))}.${mac}`),
      fc.tuple(approvalRequest, fc.string({ minLength: 1 })).map(([r, other]) => signApproval(r, `${SECRET}${other}`)),
      approvalRequest.map((r) => `${b64(JSON.stringify(r))}.${'A'.repeat(43)}`),
    );
    fc.assert(
      fc.property(forged, (value) => {
        let out: unknown = 'not called';
        const err = thrown(() => (out = verifyApproval(value, SECRET)));
        must(err === undefined, () => `verifyApproval(${show(value)}) threw ${String(err)}`);
        must(out === undefined, () => `accepted ${show(value)}`);
      }),
      RUNS,
    );
  });

  it('a value signed with the secret round-trips', () => {
    for (const req of fc.sample(approvalRequest, 300)) expect(verifyApproval(signApproval(req, SECRET), SECRET)).toEqual(ApprovalRequest.parse(req));
  });

  it('any single-character change to the request or separator of a signed value is refused', SLOW, () => {
    fc.assert(
      fc.property(approvalRequest, fc.nat(), fc.constantFrom(...`${B64URL}.=+/ é`), (req, pick, c) => {
        const value = signApproval(req, SECRET);
        const editable = value.indexOf('.') + 1; // the request and the dot
        const i = pick % editable;
        fc.pre(value[i] !== c);
        const changed = value.slice(0, i) + c + value.slice(i + 1);
        must(verifyApproval(changed, SECRET) === undefined, () => `accepted ${show(changed)} (char ${i} → ${c})`);
      }),
      RUNS,
    );
  });

  // FINDING (src/domain/approval.ts, verifyApproval): the same lenient
  // base64url decoding of the MAC as verifyJob: a button value whose MAC's
  // last character is replaced by a sibling (the 2 spare bits), or whose `-`
  // or `_` is replaced by `+` or `/`, is accepted though it is not the value
  // we issued. The request itself cannot be changed (it is MACed as text),
  // so no approval can be forged; fix by comparing the MAC text.
  it('any single-character change to the MAC of a signed value is refused', () => {
    const value = signApproval({ v: 1, id: 'abc123', text: 'promote wrk-1', cluster: 'prod', requester: 'U0OPS', channel: 'C0PRODOPS', exp: 1_900_000_000_000 }, SECRET);
    const dot = value.indexOf('.');
    const accepted: string[] = [];
    for (let i = dot + 1; i < value.length; i++) {
      for (const c of `${B64URL}+/=!`) {
        if (c === value[i]) continue;
        const changed = value.slice(0, i) + c + value.slice(i + 1);
        if (verifyApproval(changed, SECRET)) accepted.push(changed.slice(dot + 1));
      }
    }
    expect(accepted).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// policy JSON → parsePolicy
// ---------------------------------------------------------------------------

/**
 * parsePolicy's answer: a Policy, or a ConfigError that says where the
 * problem is: for JSON that does not parse, V8's own position; otherwise
 * each of the schema's issues by its path (`(root)` for the top).
 */
function policyOrConfigError(raw: string): 'policy' | 'refused' {
  const err = thrown(() => parsePolicy(raw));
  if (err === undefined) return 'policy';
  must(err instanceof ConfigError, () => `parsePolicy(${show(raw)}) threw ${(err as Error)?.stack ?? String(err)}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    must(/^The policy parameter is not valid JSON: .*(position|line|end of JSON|Unexpected|is not valid JSON)/is.test(err.message), () => `${show(err.message)}`);
    return 'refused';
  }
  must(err.message.startsWith('The policy parameter is invalid: '), () => `${show(err.message)}`);
  const result = PolicySchema.safeParse(json);
  must(!result.success, () => `refused a valid policy ${show(raw)}`);
  for (const issue of result.error.issues) {
    const named = `${issue.path.join('.') || '(root)'}: `;
    must(err.message.includes(named), () => `${show(err.message)} does not name ${named}`);
  }
  return 'refused';
}

const cluster = fc.tuple(fc.constantFrom('prod', 'stg', 'a', 'Lab', '0x', 'eu-1', 'b_2'), fc.nat(999)).map(([c, n]) => `${c}${n}`);
const channel = fc.tuple(fc.constantFrom('C', 'G', 'D'), fc.nat()).map(([c, n]) => `${c}0${n.toString(36).toUpperCase()}`);
const users = fc.array(fc.oneof(fc.constant('*'), fc.nat().map((n) => `U0${n.toString(36).toUpperCase()}`)), { maxLength: 3 });
/** A right value, or any JSON in its place. */
const or = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: smallJson });
const clusterPolicy = fc.record(
  {
    rotate: or(fc.subarray(['worker', 'manager'])),
    allowChannels: or(fc.array(channel, { maxLength: 2 })),
    roles: or(fc.record({ viewer: users, operator: users, approver: users }, { requiredKeys: [] })),
    joinCidrs: or(fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, p]) => `${ip}/${p}`), { maxLength: 2 })),
    watch: or(fc.record({ channel, graceMinutes: fc.integer({ min: 0, max: 1440 }) }, { requiredKeys: ['channel'] })),
  },
  { requiredKeys: [] },
);
const policyLike = fc.record(
  {
    defaultCluster: or(cluster),
    auditChannel: or(channel),
    channels: or(fc.dictionary(channel, cluster, { maxKeys: 2 })),
    roles: or(fc.record({ viewer: users, operator: users, approver: users })),
    approvalTtlMinutes: or(fc.integer({ min: 1, max: 1440 })),
    probeImage: or(fc.constantFrom('alpine:3', 'busybox')),
    rotateAfterJoin: or(fc.boolean()),
    clusters: or(fc.dictionary(cluster, clusterPolicy, { maxKeys: 2 })),
    teamId: or(fc.nat().map((n) => `T0${n.toString(36).toUpperCase()}`)),
    auditRetentionDays: or(fc.integer({ min: 1, max: 3650 })),
  },
  { requiredKeys: ['defaultCluster', 'auditChannel', 'roles'] },
);

/** A valid policy, then exactly one thing wrong with it, and what the message must say about it. */
const validPolicy = fc.record({
  defaultCluster: cluster,
  auditChannel: channel,
  channels: fc.dictionary(channel, cluster, { maxKeys: 2 }),
  roles: fc.record({ viewer: users, operator: users, approver: users }),
  clusters: fc.dictionary(cluster, fc.record({ rotate: fc.subarray(['worker', 'manager']), allowChannels: fc.array(channel, { maxLength: 2 }) }), { minKeys: 1, maxKeys: 2 }),
});
type Corruption = { path: Array<string | number>; value?: unknown; named: string };
const corruptions = (c: string): Corruption[] => [
  { path: ['defaultCluster'], value: 42, named: 'defaultCluster: ' },
  { path: ['defaultCluster'], value: '-prod', named: 'defaultCluster: ' },
  { path: ['auditChannel'], value: '', named: 'auditChannel: ' },
  { path: ['channels', 'C0NEW'], value: 'bad name', named: 'channels.C0NEW: ' },
  { path: ['roles', 'viewer'], value: 'U1', named: 'roles.viewer: ' },
  { path: ['roles', 'operator'], value: [''], named: 'roles.operator.0: ' },
  { path: ['roles', 'admin'], value: ['U1'], named: "roles: Unrecognized key(s) in object: 'admin'" },
  { path: ['approvalTtlMinutes'], value: 0, named: 'approvalTtlMinutes: ' },
  { path: ['approvalTtlMinutes'], value: 1.5, named: 'approvalTtlMinutes: ' },
  { path: ['probeImage'], value: '', named: 'probeImage: ' },
  { path: ['rotateAfterJoin'], value: 'yes', named: 'rotateAfterJoin: ' },
  { path: ['teamId'], value: 'acme', named: 'teamId: ' },
  { path: ['auditRetentionDays'], value: 4000, named: 'auditRetentionDays: ' },
  { path: ['extra'], value: true, named: "(root): Unrecognized key(s) in object: 'extra'" },
  { path: ['clusters', 'bad name!'], value: {}, named: 'clusters.bad name!: ' },
  { path: ['clusters', c, 'rotate'], value: ['both'], named: `clusters.${c}.rotate.0: ` },
  { path: ['clusters', c, 'allowChannels'], value: ['#ops'], named: `clusters.${c}.allowChannels.0: ` },
  { path: ['clusters', c, 'roles'], value: { admin: [] }, named: `clusters.${c}.roles: Unrecognized key(s) in object: 'admin'` },
  { path: ['clusters', c, 'joinCidrs'], value: ['10.0.0.0'], named: `clusters.${c}.joinCidrs.0: ` },
  { path: ['clusters', c, 'watch'], value: { channel: 'C0W', graceMinutes: -1 }, named: `clusters.${c}.watch.graceMinutes: ` },
  { path: ['clusters', c, 'watch'], value: { graceMinutes: 3 }, named: `clusters.${c}.watch.channel: ` },
  { path: ['clusters', c, 'sizes'], value: 3, named: `clusters.${c}: Unrecognized key(s) in object: 'sizes'` },
  { path: ['roles'], value: undefined, named: 'roles: ' },
];
function setPath(obj: Record<string, any>, path: Array<string | number>, value: unknown): void {
  let at = obj;
  for (const k of path.slice(0, -1)) at = at[k] ??= {};
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
}

describe('policy JSON → parsePolicy', () => {
  it('arbitrary text is a policy or a ConfigError that says where the problem is', SLOW, () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.json({ maxDepth: 3 }),
      fc.tuple(fc.json({ maxDepth: 3 }), fc.nat()).map(([j, n]) => j.slice(0, n % (j.length + 1))),
      fc.constantFrom('', ' ', 'null', '{}', '[]', '"x"', '{"defaultCluster":', '\ufeff{}', '{"__proto__":{"x":1}}'),
    );
    fc.assert(fc.property(text, (raw) => void policyOrConfigError(raw)), RUNS);
  });

  it("any JSON value is a policy or a ConfigError naming each problem's path", SLOW, () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => void policyOrConfigError(JSON.stringify(value))), RUNS);
  });

  it("objects built from the policy's own keys with any values are a policy or a ConfigError naming each problem's path", SLOW, () => {
    let valid = 0;
    fc.assert(
      fc.property(policyLike, (p) => {
        if (policyOrConfigError(JSON.stringify(p)) === 'policy') valid++;
      }),
      RUNS,
    );
    // the generator reaches deep: a good share are whole, valid policies
    expect(valid).toBeGreaterThan(RUNS.numRuns / 100);
  });

  it('the valid policies the next property starts from are valid', () => {
    for (const p of fc.sample(validPolicy, 300)) expect(() => parsePolicy(JSON.stringify(p))).not.toThrow();
  });

  it('a valid policy with one thing wrong is refused with a message that names that path', SLOW, () => {
    const cases = validPolicy.chain((p) => fc.tuple(fc.constant(p), fc.constantFrom(...corruptions(Object.keys(p.clusters)[0]!))));
    fc.assert(
      fc.property(cases, ([p, bad]) => {
        const broken = structuredClone(p) as Record<string, any>;
        setPath(broken, bad.path, bad.value);
        const err = thrown(() => parsePolicy(JSON.stringify(broken)));
        must(err instanceof ConfigError, () => `no ConfigError for ${show(broken)}: ${String(err)}`);
        must(err.message.includes(bad.named), () => `${show(err.message)} does not name ${bad.named}`);
      }),
      RUNS,
    );
  });
});
