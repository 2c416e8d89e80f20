import { describe, expect, it } from 'vitest';
import { changeAvailability, changeRole } from '../../src/actions/node-lifecycle.js';
import { resolveNode } from '../../src/actions/resolve-node.js';
import type { ActionContext } from '../../src/actions/types.js';
import { parsePolicy } from '../../src/config/policy.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, worker } from '../support/fixtures.js';

const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] } }));
const ctx = (swarm: FakeSwarm, over: Partial<ActionContext> = {}): ActionContext => ({
  swarm, policy, cluster: 'prod', user: 'U1', requestId: 'req1', attempt: 'a1', dryRun: false, clock: { now: () => new Date() }, ...over,
});
const approved = { approval: { approver: 'U2' } };

describe('resolveNode', () => {
  const nodes = [manager('mgr-1', { id: 'zz99' }), worker('wrk-1', { id: 'abcd111' }), worker('wrk-2', { id: 'abcd222' })];
  it('finds by hostname, full ID or unique prefix', () => {
    expect(resolveNode(nodes, 'WRK-1').hostname).toBe('wrk-1');
    expect(resolveNode(nodes, 'abcd222').hostname).toBe('wrk-2');
    expect(resolveNode(nodes, 'abcd1').hostname).toBe('wrk-1');
  });
  it('lists the candidates of an ambiguous prefix', () => {
    expect(() => resolveNode(nodes, 'abcd')).toThrow(/`abcd` matches 2 nodes: `abcd111` \(wrk-1\), `abcd222` \(wrk-2\)/);
  });
  it('never picks a node by a prefix of fewer than 4 characters', () => {
    expect(() => resolveNode(nodes, 'zz')).toThrow(/No node `zz`.*at least 4 characters/);
  });
  it('lists hostnames that start with what was typed', () => {
    expect(() => resolveNode(nodes, 'wrk')).toThrow(/2 hostnames start with it: `wrk-1`, `wrk-2`/);
  });
  it('suggests a close hostname for an unknown node', () => {
    expect(() => resolveNode(nodes, 'wrk-9')).toThrow(/No node `wrk-9`.*Did you mean/);
  });
});

describe('demote guardrails', () => {
  it('refuses a demote that would lose quorum, counting managers unreachable now, and changes nothing', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3', { reachability: 'unreachable' })]);
    await expect(changeRole('worker')(ctx(swarm, approved), { node: 'm2' })).rejects.toThrow(
      /Demoting `m2` would lose quorum: 1 of 2 managers reachable; quorum needs 2.*Unreachable now: `m3`/,
    );
    expect(swarm.changes).toEqual([]);
  });
  it('refuses to demote the last manager', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), worker('w1')]);
    await expect(changeRole('worker')(ctx(swarm, approved), { node: 'm1' })).rejects.toThrow(/last manager/);
  });
  it('asks for approval first, with the arithmetic and an even-number warning', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3')]);
    const r = await changeRole('worker')(ctx(swarm), { node: 'm3' });
    const text = renderPlainText(r);
    expect(r.title).toBe('Approval needed: demote m3 in prod');
    expect(text).toContain('After the demote: 2 of 2 managers reachable');
    expect(text).toContain('2 managers is an even number: it tolerates 0 failures, no more than 1 manager would');
    expect(swarm.changes).toEqual([]);
  });
  it('demotes once approved, and only once per request', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), manager('m4'), manager('m5')]);
    const r = await changeRole('worker')(ctx(swarm, approved), { node: 'm5' });
    expect(r.title).toBe('m5 is now a worker');
    // a second delivery of the same request is a new attempt
    const again = await changeRole('worker')(ctx(swarm, { ...approved, attempt: 'a2' }), { node: 'm5' });
    expect(again.title).toMatch(/already carried out/);
    expect(swarm.changes.length).toBe(1);
  });
});

describe('drain', () => {
  it('says a drained manager still votes', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')]);
    const r = await changeAvailability('drain')(ctx(swarm, { dryRun: true }), { node: 'm2' });
    expect(renderPlainText(r)).toMatch(/not Raft membership \(a drained manager still votes\)/);
    expect(swarm.changes).toEqual([]);
  });
  it('refuses to drain the last active node', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), worker('w1', { availability: 'drain' })]);
    await expect(changeAvailability('drain')(ctx(swarm), { node: 'm1' })).rejects.toThrow(/no ready, active node/);
    expect(swarm.changes).toEqual([]);
  });
});
