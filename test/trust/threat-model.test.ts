/**
 * Issue 21, finding 9: where the threat model and the code disagreed.
 * `recover` binds the survivor's certificate as well as its engine ID and its
 * calls are pinned to it; `policy:check` warns when `rotateAfterJoin` is
 * false or `teamId` is missing; a dry run of a join starts no container on
 * the target.
 */
import { describe, expect, it } from 'vitest';
import { DockerDaemons } from '../../src/adapters/docker/docker-daemons.js';
import { DockerTransport } from '../../src/adapters/docker/docker-transport.js';
import { checkPolicyText } from '../../src/tools/policy-check.js';
import { FakeConnector, routes } from '../support/fake-endpoints.js';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';
import { answer, run } from '../support/run.js';

const FP = 'ef'.repeat(32);

function lostQuorum() {
  const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3')], { info: daemonInfo() });
  s.opts.quorumLost = true;
  s.opts.probes = [
    { endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1', managers: 3, engineId: 'E1', apiCertFingerprint: FP }) },
    { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' },
    { endpoint: 'tcp://10.0.0.3:2376', error: 'ECONNREFUSED' },
  ];
  const calls: unknown[][] = [];
  (s.daemons as { forceNewCluster: unknown }).forceNewCluster = async (...a: unknown[]) => {
    calls.push(a);
    s.opts.quorumLost = false;
  };
  return { s, calls };
}

describe('recover', () => {
  it("binds the survivor's certificate, not only its engine ID", async () => {
    const { s } = lostQuorum();
    const asked = await run(s, 'recover --from m1');
    expect(asked.kind === 'approval-needed' && asked.binding).toEqual({ engineId: 'E1', certificate: FP });
  });

  it('refuses when the certificate changed since the approval', async () => {
    const { s, calls } = lostQuorum();
    await expect(answer(s, 'recover --from m1', { approvedBy: 'U2', binding: { engineId: 'E1', certificate: 'aa'.repeat(32) } })).rejects.toThrow(/its TLS certificate changed/);
    expect(calls).toEqual([]);
  });

  it('forces the new cluster over a connection pinned to that certificate', async () => {
    const { s, calls } = lostQuorum();
    await answer(s, 'recover --from m1', { approvedBy: 'U2', binding: { engineId: 'E1', certificate: FP } });
    expect(calls).toEqual([['tcp://10.0.0.1:2376', '10.0.0.1', { certFingerprint: FP }]]);
  });

  it('the adapter sends the init on a pinned client', async () => {
    const D = 'tcp://10.0.0.5:2376';
    const info = { ID: 'ENG5', Name: 'm5', Swarm: { NodeID: 'm5', LocalNodeState: 'active', ControlAvailable: true, RemoteManagers: [{ NodeID: 'm5', Addr: '10.0.0.5:2377' }] } };
    const connector = new FakeConnector({ 'tcp://10.0.0.1:2376': {}, [D]: { answer: routes({ 'POST /swarm/init': {}, 'GET /info': info }) } });
    const t = new DockerTransport({ endpoints: ['tcp://10.0.0.1:2376'], ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
    await new DockerDaemons(t, { slowCallMs: 300, settleMs: 400 }).forceNewCluster(D, '10.0.0.5', { certFingerprint: FP });
    expect(connector.clients.filter((c) => c.url === D).at(-1)).toMatchObject({ pin: FP });
    expect(connector.to(D, 'POST /swarm/init')).toHaveLength(1);
  });
});

describe('policy:check', () => {
  const good = {
    defaultCluster: 'prod',
    auditChannel: 'C0AUDIT',
    channels: { C0PRODOPS: 'prod' },
    roles: { viewer: ['U0VIEW'], operator: ['U0OPS'], approver: ['U0APPROVE', 'U0LEAD'] },
    clusters: { prod: { allowChannels: ['C0PRODOPS'] } },
    teamId: 'T0WORKSPACE',
  };
  const check = (p: unknown) => checkPolicyText(JSON.stringify(p));

  it('warns when rotateAfterJoin is false', () => {
    expect(check({ ...good, rotateAfterJoin: false }).warnings).toEqual([expect.stringMatching(/^rotateAfterJoin is false: a join token sent to a target.*keeps working/)]);
  });

  it('warns when teamId is missing', () => {
    const { teamId: _, ...noTeam } = good;
    expect(check(noTeam).warnings).toEqual([expect.stringMatching(/^teamId is not set: requests signed for this app from another Slack workspace/)]);
  });

  it('says nothing of either when both are set as they should be', () => {
    expect(check(good).warnings).toEqual([]);
  });
});

describe('a dry run of a join', () => {
  it('starts no container on the target, and says its ports were not checked', async () => {
    const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() });
    s.daemons.set('tcp://10.0.1.5:2376', daemonInfo({ name: 'new-1', nodeId: '', localState: 'inactive', endpoint: 'tcp://10.0.1.5:2376' }));
    const started: string[] = [];
    const runOnce = s.daemons.runOnce;
    s.daemons.runOnce = async (url, spec) => (started.push(url), runOnce(url, spec));
    const r = await answer(s, 'join worker tcp://10.0.1.5:2376 --dry-run', { unlockKeys: new MemoryUnlockKeys() });
    expect(started).toEqual([]);
    expect(JSON.stringify(r)).toMatch(/not checked in a dry run/);
    // the real join still checks them
    await answer(s, 'join worker tcp://10.0.1.5:2376');
    expect(started).toEqual(['tcp://10.0.1.5:2376']);
  });
});
