import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, run } from '../support/run.js';

const policy = (joinCidrs?: string[]) =>
  parsePolicy(
    JSON.stringify({
      defaultCluster: 'prod',
      auditChannel: 'C0AUDIT',
      roles: { viewer: ['*'], operator: ['*'], approver: ['*'] },
      clusters: { prod: joinCidrs ? { joinCidrs } : {} },
    }),
  );

function swarm() {
  const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() });
  for (const ip of ['10.0.1.5', '192.168.9.9']) s.daemons.set(`tcp://${ip}:2376`, daemonInfo({ name: `new-${ip}`, nodeId: '', localState: 'inactive', endpoint: `tcp://${ip}:2376` }));
  let contacted = 0;
  const inspect = s.nodes.inspectDaemon;
  s.nodes.inspectDaemon = async (url) => (contacted++, inspect(url));
  return { s, contacted: () => contacted };
}

describe('join', () => {
  it('refuses a target outside joinCidrs before contacting it, and a host name when joinCidrs is set', async () => {
    const { s, contacted } = swarm();
    await expect(answer(s, 'join worker tcp://192.168.9.9:2376', { policy: policy(['10.0.0.0/16']) })).rejects.toThrow(/outside the networks `prod` joins nodes from \(`10.0.0.0\/16`\)/);
    await expect(answer(s, 'join worker tcp://evil.example.com:2376', { policy: policy(['10.0.0.0/16']) })).rejects.toThrow(/type the node's IP address/);
    expect(contacted()).toBe(0);
    expect(s.changes).toEqual([]);
  });

  it('joins a target inside joinCidrs and rotates the used token', async () => {
    const { s } = swarm();
    const r = await answer(s, 'join worker tcp://10.0.1.5:2376', { policy: policy(['10.0.0.0/16']) });
    expect(r.title).toBe('new-10.0.1.5 joined prod as a worker');
    expect(s.changes).toEqual(['join worker tcp://10.0.1.5:2376', 'rotate worker']);
  });

  it('rotates the token when the target takes it and fails the join (a fake daemon keeps nothing)', async () => {
    const { s } = swarm();
    s.nodes.join = async (req) => {
      s.changes.push(`join ${req.role} ${req.url}`);
      throw new Error('500 Internal Server Error from the target');
    };
    await expect(answer(s, 'join worker tcp://10.0.1.5:2376', { policy: policy() })).rejects.toThrow(/500/);
    expect(s.changes).toEqual(['join worker tcp://10.0.1.5:2376', 'rotate worker']);
  });

  it('binds a manager join to the daemon the approver saw', async () => {
    const { s } = swarm();
    const asked = await run(s, 'join manager tcp://10.0.1.5:2376', { policy: policy() });
    expect(asked.kind === 'approval-needed' && asked.binding).toEqual({ engineId: 'ENGINE:MGR1', certificate: 'ab'.repeat(32) });
    // another daemon now answers at that address
    s.daemons.set('tcp://10.0.1.5:2376', daemonInfo({ name: 'impostor', nodeId: '', localState: 'inactive', engineId: 'ENGINE:OTHER' }));
    await expect(
      answer(s, 'join manager tcp://10.0.1.5:2376', { policy: policy(), approvedBy: 'U2', binding: { engineId: 'ENGINE:MGR1', certificate: 'ab'.repeat(32) } }),
    ).rejects.toThrow(/the daemon \(its engine ID\) changed since the request/);
    expect(s.changes).toEqual([]);
  });
});
