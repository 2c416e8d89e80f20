/**
 * The ingress as Slack meets it: signed requests through the real Bolt app
 * (createSlackHandler), its request verification (age and signature), and
 * 200 requests at once, each acknowledged within Slack's 3 s and handed to
 * the worker exactly once: with an in-memory queue, and with the production
 * wiring (composeIngress: real SSM and Lambda SDK clients) against the
 * local SSM and Lambda stand-ins.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackHandler, type IngressDeps } from '../../src/app/ingress.js';
import { composeIngress } from '../../src/composition/slack-root.js';
import { verifyJob } from '../../src/domain/job-signature.js';
import { Job, type CommandJob } from '../../src/jobs.js';
import { FakeQueue, MemoryLog, policies, testPolicy } from '../support/fakes.js';
import { apiGatewayEvent, sign, slashCommandEvent } from '../support/slack-requests.js';
import { startLambdaStandIn, startSsmStandIn } from '../support/stand-ins.js';

const SECRET = 'load-signing-secret';
const SLACK_DEADLINE_MS = 3000;
const N = 200;
/** commands an operator may run in the default cluster; each is handed on */
const TEXTS = ['status', 'nodes', 'overlay ls', 'rotate worker --dry-run', 'drain wrk-1', 'promote wrk-2'];

/** The Bolt app with in-memory secrets, policy and queue; its own log lines kept out of the output. */
function inMemory() {
  const queue = new FakeQueue();
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'warn' as never, setName() {} };
  const deps: IngressDeps = {
    secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-load', botUserId: 'U0BOT' }),
    policies: policies(testPolicy()),
    queue,
    log: new MemoryLog(),
    boltLogger: quiet,
    clock: { now: () => new Date() },
  };
  return { queue, handler: createSlackHandler(deps) };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const slash = (o: { text?: string; timestamp?: number; forgeWith?: string; i?: number } = {}) =>
  slashCommandEvent({
    text: o.text ?? 'status',
    secret: SECRET,
    user: 'U0OPS',
    channel: 'C0PRODOPS',
    responseUrl: `https://hooks.slack.com/commands/T0TEAM/${o.i ?? 0}/load`,
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    ...(o.forgeWith ? { forgeWith: o.forgeWith } : {}),
  });

describe('Slack request verification through the Bolt app', () => {
  it('answers a fresh, correctly signed request (the control for what follows)', async () => {
    const { handler, queue } = inMemory();
    const res = await handler(slash() as never, {});
    expect(res.statusCode).toBe(200);
    expect(queue.jobs).toHaveLength(1);
  });

  it.each([
    ['6 minutes old', -6 * 60],
    ['5 minutes and 1 second old', -301],
    ['a day old', -86_400],
  ])('refuses a correctly signed request replayed %s: 401, nothing handed on', async (_what, offset) => {
    const { handler, queue } = inMemory();
    const res = await handler(slash({ timestamp: nowSeconds() + offset }) as never, {});
    expect(res.statusCode).toBe(401);
    expect(queue.jobs).toEqual([]);
  });

  // FINDING (Bolt 5.1.0, AwsLambdaReceiver.isValidRequestSignature, used by
  // src/app/ingress.ts): only `requestTimestamp < now - 5 min` is refused; a
  // timestamp from the future is never checked, so a correctly signed request
  // stamped a day ahead is accepted (200, job handed on). Slack's guidance is
  // to refuse when |now - timestamp| > 5 min; verify-request.js in the same
  // Bolt version is one-sided too. Only Slack can sign, so a future stamp
  // arises from clock skew, and the effect is a replay window of 5 minutes
  // plus however far this function's clock runs behind Slack's: low impact.
  // A fix in src: check the header's age both ways before calling Bolt's
  // handler (an invalidRequestSignatureHandler cannot help: it runs only on
  // failures).
  it.each([
    ['6 minutes ahead', 6 * 60],
    ['a day ahead', 86_400],
  ])('refuses a correctly signed request stamped %s: 401, nothing handed on', async (_what, offset) => {
    const { handler, queue } = inMemory();
    const res = await handler(slash({ timestamp: nowSeconds() + offset }) as never, {});
    expect(res.statusCode).toBe(401);
    expect(queue.jobs).toEqual([]);
  });

  it('accepts a stamp a little ahead (clock skew within 5 minutes)', async () => {
    const { handler } = inMemory();
    expect((await handler(slash({ timestamp: nowSeconds() + 60 }) as never, {})).statusCode).toBe(200);
  });

  it('refuses a bad signature, an edited body, a missing or malformed signature: 401, nothing handed on', async () => {
    const { handler, queue } = inMemory();
    const forged = slash({ forgeWith: 'not-the-secret' });
    const good = slash();
    const edited = { ...good, body: good.body.replace('text=status', 'text=rotate+both') };
    const { timestamp, signature } = sign(SECRET, good.body);
    const headers = (h: Record<string, string>) => apiGatewayEvent(good.body, h);
    const cases = [
      forged,
      edited,
      headers({ 'x-slack-request-timestamp': String(timestamp) }),
      headers({ 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature.replace('v0=', 'v1=') }),
      headers({ 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}` }),
      headers({ 'x-slack-request-timestamp': 'soon', 'x-slack-signature': signature }),
      headers({ 'x-slack-signature': signature }),
    ];
    for (const event of cases) expect((await handler(event as never, {})).statusCode).toBe(401);
    expect(queue.jobs).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// 200 at once
// ---------------------------------------------------------------------------

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Fires every event at once; each request's own time from its call to its answer. */
async function fireAll(handler: (e: never, c: unknown) => Promise<{ statusCode: number; body: string }>, events: unknown[]) {
  const started = performance.now();
  const answers = await Promise.all(
    events.map(async (event) => {
      const t = performance.now();
      const res = await handler(event as never, {});
      return { res, ms: performance.now() - t };
    }),
  );
  const ms = answers.map((a) => a.ms);
  return { answers, ms, wall: performance.now() - started, figures: `p50 ${pct(ms, 50).toFixed(0)} ms, p99 ${pct(ms, 99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms` };
}

/** Every answer is the ephemeral "Working on…" ack; every job was handed on once, signed, with its own request id. */
function expectEachHandedOnOnce(answers: Array<{ res: { statusCode: number; body: string } }>, jobs: unknown[], signingSecret: string) {
  const acked = answers.map(({ res }) => {
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    const m = /^:hourglass_flowing_sand: Working on `\/swarm [^`]+` for `prod`.*\(request `([^`]+)`\)$/.exec(body.text);
    expect(m, body.text).not.toBeNull();
    return m![1]!;
  });
  expect(new Set(acked).size).toBe(N);

  expect(jobs).toHaveLength(N);
  const commands = jobs.map((payload) => {
    const check = verifyJob(payload, signingSecret, new Date());
    expect(check.ok).toBe(true);
    const job = Job.parse(check.ok ? check.job : undefined);
    expect(job.kind).toBe('command');
    return job as CommandJob;
  });
  // one job per request: its response URL, and the request id its ack named
  expect(new Set(commands.map((j) => j.responseUrl)).size).toBe(N);
  expect(new Set(commands.map((j) => j.requestId))).toEqual(new Set(acked));
}

const events = () => Array.from({ length: N }, (_, i) => slash({ text: TEXTS[i % TEXTS.length]!, i }));

describe(`${N} signed requests at once`, () => {
  it('in-memory queue: all answered 200 with the ephemeral ack, each within 3 s, each job handed on exactly once', async () => {
    const { handler, queue } = inMemory();
    const { answers, ms, wall, figures } = await fireAll(handler, events());
    console.log(`ingress-load (in-memory queue, cold app): ${N} requests, ${figures}, all answered after ${wall.toFixed(0)} ms`);
    expectEachHandedOnOnce(answers, queue.jobs, SECRET);
    expect(Math.max(...ms)).toBeLessThan(SLACK_DEADLINE_MS);
  }, 30_000);

  describe('production wiring (composeIngress) against the SSM and Lambda stand-ins', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    });

    it('all answered 200 with the ephemeral ack, each within 3 s, each job invoked exactly once', async () => {
      const policy = { defaultCluster: 'prod', auditChannel: 'C0AUDIT', channels: {}, roles: { viewer: ['U0VIEW'], operator: ['U0OPS'], approver: ['U0APPROVE'] } };
      const ssm = await startSsmStandIn([
        { name: '/swarm-ops/load/slack/signing-secret', type: 'SecureString', value: SECRET },
        { name: '/swarm-ops/load/slack/bot-token', type: 'SecureString', value: 'xoxb-load' },
        { name: '/swarm-ops/load/slack/bot-user-id', type: 'String', value: 'U0BOT' },
        { name: '/swarm-ops/load/policy', type: 'String', value: JSON.stringify(policy) },
      ]);
      const lambda = await startLambdaStandIn();
      try {
        Object.assign(process.env, {
          SSM_PREFIX: '/swarm-ops/load',
          WORKER_FUNCTION_NAME: 'swarm-ops-load-worker',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'load',
          AWS_SECRET_ACCESS_KEY: 'load',
          AWS_ENDPOINT_URL_SSM: ssm.url,
          AWS_ENDPOINT_URL_LAMBDA: lambda.url,
          // the function's JSON log lines (200 of them) would bury the figures
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        });
        delete process.env['AWS_PROFILE'];
        const handler = composeIngress(process.env);

        const { answers, ms, wall, figures } = await fireAll(handler, events());
        console.log(`ingress-load (composeIngress → SSM + Lambda stand-ins, cold app): ${N} requests, ${figures}, all answered after ${wall.toFixed(0)} ms; SSM calls ${ssm.calls.length}, invokes ${lambda.invocations.length}`);

        expect(lambda.invocations.every((i) => i.functionName === 'swarm-ops-load-worker' && i.invocationType === 'Event')).toBe(true);
        expectEachHandedOnOnce(answers, lambda.invocations.map((i) => i.payload), SECRET);
        expect(Math.max(...ms)).toBeLessThan(SLACK_DEADLINE_MS);
      } finally {
        await Promise.all([ssm.close(), lambda.close()]);
      }
    }, 30_000);
  });
});
