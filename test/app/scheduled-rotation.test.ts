import { describe, expect, it } from 'vitest';
import { createScheduledRotation } from '../../src/app/scheduled-rotation.js';
import { SwarmError } from '../../src/errors.js';
import { FakeSwarm } from '../support/fixtures.js';
import { credentials, FakeAudit, MemoryLog, MemoryState, policies, testPolicy } from '../support/fakes.js';

describe('scheduled rotation', () => {
  it('rotates each cluster the policy names, reports one without quorum, and audits both', async () => {
    const healthy = new FakeSwarm([]);
    const lost = new FakeSwarm([]);
    lost.tokens.rotate = async () => Promise.reject(new SwarmError('QUORUM_LOST', 'The swarm has no leader.'));
    const swarms = [healthy, lost];
    let i = 0;
    const audit = new FakeAudit();
    const rotate = createScheduledRotation({
      policies: policies(testPolicy({ clusters: { prod: { rotate: ['worker', 'manager'] }, dr: { rotate: ['worker'] }, staging: {} } })),
      credentials: credentials(),
      swarmFor: () => swarms[i++]!,
      claims: new MemoryState(),
      audit,
      log: new MemoryLog(),
      clock: { now: () => new Date() },
    });
    const results = await rotate({ id: 'evt-9', time: '2026-11-23T04:00:00Z' });
    expect(results).toEqual([
      { cluster: 'prod', outcome: 'succeeded', detail: 'Rotated the worker and manager join token(s).' },
      { cluster: 'dr', outcome: 'failed', detail: 'Not rotated: The swarm has no leader.' },
    ]);
    expect(healthy.changes).toEqual(['rotate worker+manager']);
    expect(audit.events.map((e) => [e.cluster, e.outcome, e.user])).toEqual([
      ['prod', 'succeeded', 'scheduler'],
      ['dr', 'failed', 'scheduler'],
    ]);
  });
});

describe('scheduled rotation, delivered twice', () => {
  it('rotates once per schedule tick', async () => {
    const swarm = new FakeSwarm([]);
    const audit = new FakeAudit();
    const rotate = createScheduledRotation({
      policies: policies(testPolicy({ clusters: { prod: { rotate: ['worker'] } } })),
      credentials: credentials(),
      swarmFor: () => swarm,
      claims: new MemoryState(),
      audit,
      log: new MemoryLog(),
      clock: { now: () => new Date() },
    });
    await rotate({ id: 'evt-1' });
    const again = await rotate({ id: 'evt-1' });
    expect(again).toEqual([{ cluster: 'prod', outcome: 'skipped', detail: 'Schedule event evt-1 was already handled.' }]);
    expect(swarm.changes).toEqual(['rotate worker']);
    expect(audit.events).toHaveLength(1);
  });
});
