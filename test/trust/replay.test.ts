/**
 * Issue 21, finding 5: the same signed Slack request replayed within its
 * 5 minutes acts once. The request id is derived from the request itself
 * (its timestamp and signature), so the worker's ledger sees the repeat.
 */
import { describe, expect, it } from 'vitest';
import { createSlackHandler, requestIdOf } from '../../src/app/ingress.js';
import { createWorker } from '../../src/app/worker.js';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import type { Job } from '../../src/jobs.js';
import { credentials, FakeAudit, FakeChat, FakeQueue, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies, testPolicy } from '../support/fakes.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';
import { blockActionEvent, slashCommandEvent } from '../support/slack-requests.js';

const SECRET = 'replay-signing-secret';
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'warn' as never, setName() {} };

function ingress() {
  const queue = new FakeQueue();
  const handler = createSlackHandler({ secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-t', botUserId: 'U0BOT' }), policies: policies(testPolicy()), queue, log: new MemoryLog(), boltLogger: quiet, clock: { now: () => new Date() } });
  return { queue, handler };
}

const slash = (text: string, i = 0) => slashCommandEvent({ text, secret: SECRET, user: 'U0OPS', channel: 'C0PRODOPS', responseUrl: `https://hooks.slack.com/commands/T0TEAM/${i}/r` });
const ids = (jobs: Job[]) => jobs.map((j) => (j.kind === 'audit' ? j.event.requestId : j.requestId));

describe('a replayed Slack request', () => {
  it('carries the same request id as the original; another request another one', async () => {
    const { queue, handler } = ingress();
    const request = slash('rotate worker');
    await handler(request as never, {});
    await handler(request as never, {});
    await handler(slash('rotate worker', 1) as never, {});
    const [a, b, c] = ids(queue.jobs);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{8}$/);
    const headers = request.headers as Record<string, string>;
    expect(a).toBe(requestIdOf({ 'X-Slack-Request-Timestamp': headers['x-slack-request-timestamp'], 'X-Slack-Signature': headers['x-slack-signature'] }));
  });

  it('acts once: the worker runs the rotation of the first delivery only', async () => {
    const { queue, handler } = ingress();
    const request = slash('rotate worker');
    await handler(request as never, {});
    await handler(request as never, {});
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() });
    const state = new MemoryState();
    const audit = new FakeAudit();
    const run = createWorker({
      ledger: new MemoryLedger(),
      claims: state,
      unlockKeys: new MemoryUnlockKeys(),
      pending: state,
      history: state,
      policies: policies(testPolicy()),
      credentials: credentials(),
      swarmFor: () => swarm,
      chat: new FakeChat(),
      audit,
      log: new MemoryLog(),
      clock: { now: () => new Date() },
      signingSecret: async () => SECRET,
    });
    for (const job of queue.jobs) await run(job);
    expect(swarm.changes).toEqual(['rotate worker']);
    expect(audit.events.filter((e) => e.outcome === 'succeeded')).toHaveLength(1);
  });

  it('a replayed refusal is audited once (same id, same audit key)', async () => {
    const { queue, handler } = ingress();
    const request = slashCommandEvent({ text: 'rotate worker', secret: SECRET, user: 'U0NOROLE', channel: 'C0PRODOPS', responseUrl: 'https://hooks.slack.com/commands/T0TEAM/9/r' });
    await handler(request as never, {});
    await handler(request as never, {});
    const [a, b] = ids(queue.jobs);
    expect(queue.jobs).toHaveLength(2);
    expect(a).toBe(b);
  });

  it('a replayed click carries the same request id as the original', async () => {
    const { queue, handler } = ingress();
    const click = blockActionEvent({ actionId: APPROVE_ACTION, value: 'x.y', user: 'U0APPROVE', responseUrl: 'https://hooks.slack.com/actions/T0TEAM/1/r', secret: SECRET });
    await handler(click as never, {});
    await handler(click as never, {});
    const [a, b] = ids(queue.jobs);
    expect(queue.jobs).toHaveLength(2);
    expect(a).toBe(b);
  });
});
