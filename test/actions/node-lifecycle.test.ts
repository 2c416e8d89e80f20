import { describe, expect, it } from 'vitest';
import { changeRole } from '../../src/actions/node-lifecycle.js';
import { resolveNode } from '../../src/actions/resolve-node.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, planAndApply, run } from '../support/run.js';

const approved = { approvedBy: 'U2' };

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
    await expect(answer(swarm, 'demote m2', approved)).rejects.toThrow(
      /Demoting `m2` would lose quorum: 1 of 2 managers reachable; quorum needs 2.*Unreachable now: `m3`/,
    );
    expect(swarm.changes).toEqual([]);
  });
  it('refuses to demote the last manager', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), worker('w1')]);
    await expect(answer(swarm, 'demote m1', approved)).rejects.toThrow(/last manager/);
  });
  it('asks for approval first, with the arithmetic and an even-number warning', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3')]);
    const r = await answer(swarm, 'demote m3');
    const text = renderPlainText(r);
    expect(r.title).toBe('Approval needed: demote m3 (m3id00000000) to worker');
    expect(text).toContain('After the demote: 2 of 2 managers reachable');
    expect(text).toContain('2 managers is an even number: it tolerates 0 failures, no more than 1 manager would');
    expect(swarm.changes).toEqual([]);
  });
  it('demotes once approved, bound to the node ID the approver saw', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), manager('m4'), manager('m5')]);
    const asked = await run(swarm, 'demote m5');
    expect(asked.kind).toBe('approval-needed');
    const binding = asked.kind === 'approval-needed' ? asked.binding : undefined;
    expect(binding).toEqual({ node: manager('m5').id });
    const r = await answer(swarm, 'demote m5', { ...approved, ...(binding ? { binding } : {}) });
    expect(r.title).toBe('m5 is now a worker');
    expect(swarm.changes.length).toBe(1);
  });
  it('says "now a worker" only once Raft has let it go; until then, that it is still leaving, and what to look at', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), manager('m4')]);
    const update = swarm.nodes.update;
    // Docker records the role at once; this node stays in Raft (its ManagerStatus) for longer than the wait
    swarm.nodes.update = async (id, change) => {
      const kept = swarm.nodeList.find((n) => n.id === id)!.manager;
      await update(id, change);
      swarm.nodeList = swarm.nodeList.map((n) => (n.id === id ? { ...n, manager: kept } : n));
    };
    const phases: string[] = [];
    const r = await planAndApply(changeRole('worker', 60, 10), swarm, { node: 'm4' }, { progress: (t) => phases.push(t) });
    expect(r.title).toBe('m4 is becoming a worker');
    expect(renderPlainText(r)).toMatch(/has not finished leaving Raft after 0 s.*\/swarm status shows when it has/s);
    expect(phases.at(-1)).toBe('Waiting for m4 to leave Raft…');
    expect(swarm.changes).toHaveLength(1);
  });
  it('refuses an approval whose node was replaced under the same hostname', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), manager('m4'), manager('m5')]);
    await expect(answer(swarm, 'demote m5', { ...approved, binding: { node: 'someothernodeid' } })).rejects.toThrow(/no longer what is there: the node \(its ID\) changed/);
    expect(swarm.changes).toEqual([]);
  });
});

describe('drain', () => {
  it('says a drained manager still votes', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')]);
    const r = await answer(swarm, 'drain m2 --dry-run');
    expect(renderPlainText(r)).toMatch(/not Raft membership \(a drained manager still votes\)/);
    expect(swarm.changes).toEqual([]);
  });
  it('refuses to drain the last active node', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), worker('w1', { availability: 'drain' })]);
    await expect(answer(swarm, 'drain m1')).rejects.toThrow(/no ready, active node/);
    expect(swarm.changes).toEqual([]);
  });
});

describe('drain: the blast radius', () => {
  const swarmWithServices = async () => {
    const { service, task } = await import('../support/fixtures.js');
    const s = new FakeSwarm([manager('m1', { leader: true }), worker('w1', { nodeLabels: { disk: 'ssd' }, labels: { disk: 'ssd' } }), worker('w2')]);
    const [m1, w1, w2] = s.nodeList.map((n) => n.id);
    const db = service('db', { replicas: 1, running: 1, desired: 1, constraints: ['node.labels.disk==ssd'] });
    const web = service('web', { replicas: 3, running: 3, desired: 3 });
    const cache = service('cache', { replicas: 1, running: 1, desired: 1 });
    const agent = service('agent', { mode: 'global', running: 3, desired: 3 });
    s.serviceList = [db, web, cache, agent];
    s.serviceTasks = [task(db, 1, w1!), task(web, 1, m1!), task(web, 2, w1!), task(web, 3, w2!), task(cache, 1, w1!), task(agent, undefined, w1!), task(agent, undefined, w2!), task(agent, undefined, m1!)];
    return s;
  };
  it('refuses a drain that leaves a constrained service nowhere to run, naming it and --force; changes nothing', async () => {
    const s = await swarmWithServices();
    await expect(answer(s, 'drain w1')).rejects.toThrow(/would leave `db` with no other node to run on \(db: node.labels.disk==ssd matches no other ready, active node\)\. Nothing was changed\..*\/swarm drain w1 --force/);
    expect(s.changes).toEqual([]);
  });
  it('its dry run lists every service on the node and what happens to it; --force drains', async () => {
    const s = await swarmWithServices();
    const dry = renderPlainText(await answer(s, 'drain w2 --dry-run'));
    expect(dry).toMatch(/web\s+1 of 3\s+moves to 2 eligible nodes; 2 keep running/);
    expect(dry).toMatch(/agent\s+global\s+its task here stops; 2 keep running elsewhere/);
    const forced = renderPlainText(await answer(s, 'drain w1 --force'));
    expect(forced).toMatch(/db\s+1 of 1\s+NO OTHER NODE/);
    expect(forced).toMatch(/cache\s+1 of 1\s+down until its task restarts elsewhere \(2 eligible nodes\)/);
    expect(s.changes).toHaveLength(1);
  });
});
