import { describe, expect, it } from 'vitest';
import { createApprovalSweep } from '../../src/app/approval-sweep.js';
import { createWorker } from '../../src/app/worker.js';
import { signJob } from '../../src/domain/job-signature.js';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { FakeSwarm, daemonInfo, manager } from '../support/fixtures.js';
import { credentials, FakeAudit, FakeChat, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies } from '../support/fakes.js';

const T0 = new Date('2026-11-21T10:00:00Z');

function world() {
  const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3')], { info: daemonInfo() });
  swarm.daemons.set('tcp://10.0.0.9:2376', daemonInfo({ name: 'new-mgr', localState: 'inactive' }));
  const chat = new FakeChat();
  const audit = new FakeAudit();
  let now = T0;
  const clock = { now: () => now };
  const state = new MemoryState();
  const deps = { policies: policies(), credentials: credentials(), swarmFor: () => swarm, chat, audit, log: new MemoryLog(), clock, claims: state,
    unlockKeys: new MemoryUnlockKeys(), pending: state, history: state };
  const worker = createWorker({ ...deps, ledger: new MemoryLedger(), signingSecret: async () => 'secret' });
  const sweep = createApprovalSweep(deps);
  return { swarm, chat, audit, worker, sweep, state, at: (ms: number) => (now = new Date(T0.getTime() + ms)) };
}

const request = signJob({
  kind: 'command', requestId: 'req9', text: 'join manager tcp://10.0.0.9:2376', command: 'join manager', cluster: 'prod', user: 'U0OPS',
  channel: 'C0OPS', responseUrl: 'https://hooks.slack.test/r', issuedAt: T0.toISOString(),
}, 'secret');

describe('approval sweep', () => {
  it('leaves a live request alone, then closes and audits it once when it expires unanswered', async () => {
    const { swarm, chat, audit, worker, sweep, state, at } = world();
    await worker(request);
    expect([...state.pending.keys()]).toEqual(['req9']);

    at(10 * 60_000);
    await sweep();
    expect(chat.updates).toEqual([]);

    at(16 * 60_000);
    const results = await sweep();
    expect(results).toEqual({ expired: ['req9'], legacyRemoved: 0 });
    expect(chat.updates[0]).toMatchObject({ channel: 'C0OPS', ts: '1.0001' });
    expect(JSON.stringify(chat.updates[0]!.message.blocks)).toMatch(/Nobody decided before 10:15 UTC/);
    expect(audit.events.at(-1)).toMatchObject({ requestId: 'req9', outcome: 'expired', user: 'U0OPS' });
    expect(state.pending.size).toBe(0);

    // a click after that is told so and audits nothing more
    const value = (chat.posts[0]!.message.blocks.find((b) => b['type'] === 'actions')!['elements'] as Array<{ action_id: string; value: string }>).find((e) => e.action_id === APPROVE_ACTION)!.value;
    const before = audit.events.length;
    await worker(signJob({ kind: 'decision', requestId: 'c1', decision: 'approve', value, user: 'U0APPROVE', channel: 'C0OPS', messageTs: '1.0001', responseUrl: 'https://hooks.slack.test/c', issuedAt: new Date(T0.getTime() + 16 * 60_000).toISOString() }, 'secret'));
    expect(chat.responses.at(-1)!.message.text).toMatch(/expired at 10:15 UTC/);
    expect(audit.events.length).toBe(before);
    expect(swarm.changes).toEqual([]);
  });

  it('a decided request is only forgotten', async () => {
    const { state, chat, audit, worker, sweep, at } = world();
    await worker(request);
    const value = (chat.posts[0]!.message.blocks.find((b) => b['type'] === 'actions')!['elements'] as Array<{ action_id: string; value: string }>).find((e) => e.action_id === APPROVE_ACTION)!.value;
    await worker(signJob({ kind: 'decision', requestId: 'c1', decision: 'deny', reason: 'not-now', value, user: 'U0APPROVE', channel: 'C0OPS', messageTs: '1.0001', responseUrl: 'https://hooks.slack.test/c', issuedAt: T0.toISOString() }, 'secret'));
    expect(state.pending.size).toBe(0);
    at(60 * 60_000);
    await sweep();
    expect(audit.events.map((e) => e.outcome)).toEqual(['requested', 'denied']);
  });

  it('closes an expired request even while its swarm has no leader: it asks no swarm', async () => {
    const { swarm, chat, worker, sweep, at } = world();
    await worker(request);
    swarm.opts.quorumLost = true;
    at(16 * 60_000);
    expect(await sweep()).toEqual({ expired: ['req9'], legacyRemoved: 0 });
    expect(chat.updates).toHaveLength(1);
  });

  it('removes the Docker configs an earlier version left, once per cluster, and audits it', async () => {
    const { swarm, audit, sweep } = world();
    swarm.legacyConfigs = [
      { id: 'c1', name: 'swarm-ops.op.rotate-abc' },
      { id: 'c2', name: 'swarm-ops.pending.req1' },
    ];
    expect((await sweep()).legacyRemoved).toBe(2);
    expect(swarm.changes).toEqual(['rm config c1', 'rm config c2']);
    expect(audit.events.filter((e) => e.command.startsWith('remove legacy state'))).toHaveLength(1);
    swarm.legacyConfigs = [{ id: 'c3', name: 'swarm-ops.op.late' }];
    expect((await sweep()).legacyRemoved).toBe(0);
  });
});
