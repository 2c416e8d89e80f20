import { describe, expect, it } from 'vitest';
import { DockerSwarm } from '../../../src/adapters/docker/docker-swarm.js';
import type { DialRequest } from '../../../src/adapters/docker/docker-endpoint.js';
import { readOnly } from '../../../src/ports.js';
import { dockerError, FakeConnector, pending, routes, type FakeDaemon } from '../../support/fake-endpoints.js';

const M1 = 'tcp://10.0.0.1:2376';
const M2 = 'tcp://10.0.0.2:2376';
const NEW = 'tcp://10.0.0.9:2376';
const TOKEN = 'SWMTKN-1-abc-worker';

function swarm(daemons: Record<string, FakeDaemon>) {
  const connector = new FakeConnector(daemons);
  const s = new DockerSwarm(
    { endpoints: Object.keys(daemons).filter((u) => u !== NEW), ca: '', cert: '', key: '' },
    { callTimeoutMs: 200, connectTimeoutMs: 100, probeTimeoutMs: 300, connector },
  );
  return { s, connector };
}

/** A node kept by the fake manager: every update must name its current version, as swarmkit wants. */
function nodeStore(spec: Record<string, unknown>, opts: { staleOnce?: boolean; hangAfterCommit?: boolean } = {}) {
  const node = { ID: 'n1', Version: { Index: 10 }, Spec: spec };
  let stale = opts.staleOnce ?? false;
  return {
    node,
    'GET /nodes/n1': () => structuredClone(node),
    'POST /nodes/n1/update': (req: DialRequest) => {
      if (stale || req.query?.['version'] !== node.Version.Index) {
        stale = false;
        node.Version.Index++;
        throw dockerError(500, 'rpc error: code = Unknown desc = update out of sequence');
      }
      node.Spec = req.body as Record<string, unknown>;
      node.Version.Index++;
      return opts.hangAfterCommit ? pending(req) : {};
    },
  };
}

describe('nodes.update', () => {
  it('sends nothing when the node is already as asked, labels included (in any order)', async () => {
    const store = nodeStore({ Role: 'worker', Availability: 'active', Labels: { az: 'a', disk: 'ssd' } });
    const { s, connector } = swarm({ [M1]: { answer: routes(store) } });
    await s.nodes.update('n1', { availability: 'active', labels: { disk: 'ssd', az: 'a' } });
    expect(connector.to(M1, 'POST /nodes/n1/update')).toHaveLength(0);
  });

  it('replaces the labels in full, with the version it read', async () => {
    const store = nodeStore({ Role: 'worker', Availability: 'active', Name: 'keep', Labels: { az: 'a', old: 'x' } });
    const { s, connector } = swarm({ [M1]: { answer: routes(store) } });
    await s.nodes.update('n1', { labels: { az: 'b' } });
    const [sent] = connector.to(M1, 'POST /nodes/n1/update');
    expect(sent).toMatchObject({ query: { version: 10 }, body: { Role: 'worker', Availability: 'active', Name: 'keep', Labels: { az: 'b' } } });
  });

  it('re-reads and resends with the fresh version when out of sequence', async () => {
    const store = nodeStore({ Role: 'worker', Availability: 'active' }, { staleOnce: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(store) } });
    await s.nodes.update('n1', { availability: 'drain' });
    expect(connector.to(M1, 'POST /nodes/n1/update').map((r) => r.query?.['version'])).toEqual([10, 11]);
    expect(store.node.Spec).toMatchObject({ Availability: 'drain' });
  });

  it('a change that went through but was not confirmed in time is read back, not sent again', async () => {
    const store = nodeStore({ Role: 'worker', Availability: 'active' }, { hangAfterCommit: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(store) }, [M2]: { answer: routes(store) } });
    await s.nodes.update('n1', { role: 'manager' });
    expect(connector.sent.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a demote Docker refuses for quorum is a QUORUM_GUARD error', async () => {
    const store = {
      ...nodeStore({ Role: 'manager', Availability: 'active' }),
      'POST /nodes/n1/update': () => Promise.reject(dockerError(400, 'rpc error: code = FailedPrecondition desc = attempting to demote the last manager')),
    };
    const { s } = swarm({ [M1]: { answer: routes(store) } });
    await expect(s.nodes.update('n1', { role: 'worker' })).rejects.toMatchObject({ code: 'QUORUM_GUARD' });
  });
});

describe('tokens.rotate', () => {
  it('a rotation that went through unconfirmed is read back: reported, not sent again', async () => {
    const state = { Version: { Index: 5 }, Spec: { Name: 'default' }, JoinTokens: { Worker: 'SWMTKN-1-old-w', Manager: 'SWMTKN-1-old-m' } };
    const answer = routes({
      'GET /swarm': () => structuredClone(state),
      'POST /swarm/update': (req: DialRequest) => {
        state.JoinTokens.Worker = 'SWMTKN-1-new-w';
        state.Version.Index++;
        return pending(req);
      },
    });
    const { s, connector } = swarm({ [M1]: { answer } });
    expect(await s.tokens.rotate(['worker'])).toEqual({ rotated: ['worker'] });
    const [sent] = connector.to(M1, 'POST /swarm/update');
    expect(sent).toMatchObject({ query: { version: 5, rotateWorkerToken: true, rotateManagerToken: false }, body: { Name: 'default' } });
    expect(connector.to(M1, 'POST /swarm/update')).toHaveLength(1);
  });
});

describe('networks.createOverlay', () => {
  const net = { Id: 'net1', Name: 'demo', Driver: 'overlay', Scope: 'swarm', Labels: { 'swarm-ops.request': 'r1' } };
  const spec = { name: 'demo', encrypted: true, attachable: true, labels: { 'swarm-ops.request': 'r1' } };

  it('an unconfirmed create found with this request’s label is ours: not created twice', async () => {
    const answer = routes({ 'POST /networks/create': pending, 'GET /networks/demo': net, 'GET /networks/net1': net });
    const { s, connector } = swarm({ [M1]: { answer } });
    expect(await s.networks.createOverlay(spec)).toMatchObject({ id: 'net1', driver: 'overlay' });
    expect(connector.to(M1, 'POST /networks/create')).toHaveLength(1);
  });

  it('an unconfirmed create found with another label stays UNCERTAIN', async () => {
    const answer = routes({ 'POST /networks/create': pending, 'GET /networks/demo': { ...net, Labels: {} } });
    const { s } = swarm({ [M1]: { answer } });
    await expect(s.networks.createOverlay(spec)).rejects.toMatchObject({ code: 'UNCERTAIN' });
  });

  it('asks an old daemon to refuse duplicates, and maps its 409 to CONFLICT', async () => {
    const answer = routes({ 'POST /networks/create': () => Promise.reject(dockerError(409, 'network with name demo already exists')) });
    const { s, connector } = swarm({ [M1]: { ping: { apiVersion: '1.41' }, answer } });
    await expect(s.networks.createOverlay(spec)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(connector.to(M1, 'POST /networks/create')[0]?.body).toMatchObject({ CheckDuplicate: true, Options: { encrypted: '' }, Attachable: true });
  });
});

describe('probe.create', () => {
  it('an unconfirmed create is found by name', async () => {
    const answer = routes({ 'POST /services/create': pending, 'GET /services/probe-1': { ID: 'svc1' } });
    const { s, connector } = swarm({ [M1]: { answer } });
    const id = await s.probe.create({ name: 'probe-1', image: 'alpine:3', networkId: 'net1', command: ['true'], env: [], labels: {} });
    expect(id).toBe('svc1');
    expect(connector.to(M1, 'POST /services/create')).toHaveLength(1);
  });
});

describe('nodes.info', () => {
  it("maps the answering manager's /info with the certificate seen on its connection", async () => {
    const cert = { fingerprint: 'ef'.repeat(32), expiresAt: new Date('2030-01-01T00:00:00Z') };
    const info = { ID: 'ENG2', Name: 'm2', ServerVersion: '27.1.0', OSType: 'linux', Swarm: { NodeID: 'n2', LocalNodeState: 'active' } };
    const { s } = swarm({ [M1]: { ping: 'refuse' }, [M2]: { ping: { apiVersion: '1.47', cert }, answer: routes({ 'GET /info': info }) } });
    expect(await s.nodes.info()).toMatchObject({ endpoint: M2, engineId: 'ENG2', apiCertFingerprint: cert.fingerprint, apiCertExpiresAt: cert.expiresAt });
    expect(s.activeEndpoint).toBe(M2);
  });

  it('probes every manager: one that answers, one whose daemon is up but /info hangs, one that is down', async () => {
    const { s } = swarm({
      [M1]: { answer: routes({ 'GET /info': { Name: 'm1', Swarm: { LocalNodeState: 'active' } } }) },
      [M2]: { answer: routes({ 'GET /info': pending }) },
      'tcp://10.0.0.3:2376': { ping: 'refuse' },
    });
    const probes = await s.nodes.probeManagers();
    expect(probes.map((p) => [p.daemonUp, p.info?.name, p.error])).toEqual([
      [true, 'm1', undefined],
      [true, undefined, 'daemon up, but /info did not answer in time'],
      [false, undefined, 'ECONNREFUSED'],
    ]);
  });
});

describe('nodes.join', () => {
  function joinLab(joinAnswer: (req: DialRequest) => unknown) {
    let state = 'inactive';
    const target = routes({
      'GET /info': () => ({ ID: 'ENG9', Name: 'w9', Swarm: { LocalNodeState: state, NodeID: state === 'active' ? 'w9' : '' } }),
      'POST /swarm/join': (req: DialRequest) => {
        state = 'pending';
        setTimeout(() => (state = 'active'), 50);
        return joinAnswer(req);
      },
    });
    const manager = routes({
      'GET /swarm': { Version: { Index: 1 }, Spec: {}, JoinTokens: { Worker: TOKEN, Manager: 'SWMTKN-1-abc-manager' } },
      'GET /nodes': () => [
        { ID: 'm1', Spec: { Role: 'manager' }, Status: { State: 'ready' }, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' } },
        ...(state === 'active' ? [{ ID: 'w9', Spec: { Role: 'worker' }, Description: { Hostname: 'w9' }, Status: { State: 'ready' } }] : []),
      ],
    });
    return swarm({ [M1]: { answer: manager }, [NEW]: { answer: target } });
  }

  it('joins with a token read from a manager and waits until the node is Ready', async () => {
    const { s, connector } = joinLab(() => ({}));
    const node = await s.nodes.join({ url: NEW, role: 'worker', readyTimeoutMs: 5000 });
    expect(node).toMatchObject({ id: 'w9', state: 'ready' });
    expect(JSON.stringify(node)).not.toContain('SWMTKN');
    expect(connector.to(NEW, 'POST /swarm/join')[0]?.body).toEqual({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '10.0.0.9',
      DataPathAddr: '10.0.0.9',
      RemoteAddrs: ['10.0.0.1:2377'],
      JoinToken: TOKEN,
    });
    expect(connector.clients.filter((c) => c.url === NEW).map((c) => c.idleTimeoutMs)).toContain(60_000);
  });

  it('sends the token only over a handshake pinned to the certificate just inspected, or to the one approved', async () => {
    const seen = 'ab'.repeat(32);
    const { s, connector } = joinLab(() => ({}));
    connector.daemons[NEW]!.ping = { apiVersion: '1.47', cert: { fingerprint: seen } };
    await s.nodes.join({ url: NEW, role: 'worker', readyTimeoutMs: 5000 });
    expect(connector.clients.filter((c) => c.url === NEW && c.idleTimeoutMs === 60_000).map((c) => c.pin)).toEqual([seen]);

    const approved = joinLab(() => ({}));
    approved.connector.daemons[NEW]!.ping = { apiVersion: '1.47', cert: { fingerprint: seen } };
    // (this fake never shows the new manager reachable: only what was sent matters here)
    await approved.s.nodes.join({ url: NEW, role: 'manager', readyTimeoutMs: 600, expect: { engineId: 'ENG9', certFingerprint: seen } }).catch(() => undefined);
    expect(approved.connector.to(NEW, 'POST /swarm/join')).toHaveLength(1);
    expect(approved.connector.clients.filter((c) => c.url === NEW && c.idleTimeoutMs === 60_000).map((c) => c.pin)).toEqual([seen]);
  });

  it('a pinned handshake refused (another certificate since) is a clear refusal: the token never left', async () => {
    const { s, connector } = joinLab(() => Promise.reject(Object.assign(new Error("the daemon's TLS certificate is not the one it presented before"), { code: 'CERT_PIN_MISMATCH' })));
    const err = await s.nodes.join({ url: NEW, role: 'worker', readyTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/another TLS certificate .* the token was not sent and nothing was changed/) });
    expect(connector.to(NEW, 'POST /swarm/join')).toHaveLength(1);
  });

  it('a join that answers 503 "timeout" goes on in the background: read back and waited out, not sent again', async () => {
    const { s, connector } = joinLab(() => Promise.reject(dockerError(503, 'Timeout was reached before node joined. The attempt to join the swarm will continue in the background.')));
    expect(await s.nodes.join({ url: NEW, role: 'worker', readyTimeoutMs: 5000 })).toMatchObject({ id: 'w9' });
    expect(connector.to(NEW, 'POST /swarm/join')).toHaveLength(1);
  });

  it('a daemon that is already in a swarm is refused before anything is sent', async () => {
    const { s, connector } = joinLab(() => ({}));
    connector.daemons[NEW] = { answer: routes({ 'GET /info': { Name: 'w9', Swarm: { LocalNodeState: 'active', NodeID: 'x' } } }) };
    await expect(s.nodes.join({ url: NEW, role: 'worker' })).rejects.toMatchObject({ code: 'ALREADY_IN_SWARM' });
    expect(connector.to(NEW, 'POST /swarm/join')).toHaveLength(0);
  });
});

describe('legacy state (configs an earlier version wrote)', () => {
  it('lists only swarm-ops.op.* and swarm-ops.pending.* configs, removes by id, and writes no config', async () => {
    const configs = [
      { ID: 'c1', Spec: { Name: 'swarm-ops.op.rotate-r1' } },
      { ID: 'c2', Spec: { Name: 'swarm-ops.pending.r2' } },
      { ID: 'c3', Spec: { Name: 'app-config-swarm-ops.op.x' } },
    ];
    const answer = routes({ 'GET /configs': configs, 'DELETE /configs/c1': {} });
    const { s, connector } = swarm({ [M1]: { answer } });
    expect(await s.legacyState.list()).toEqual([
      { id: 'c1', name: 'swarm-ops.op.rotate-r1' },
      { id: 'c2', name: 'swarm-ops.pending.r2' },
    ]);
    await s.legacyState.remove('c1');
    expect(connector.sent.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /configs', 'DELETE /configs/c1']);
    expect(JSON.parse(String(connector.sent[0]?.query?.['filters']))).toEqual({ name: ['swarm-ops.op.', 'swarm-ops.pending.'] });
  });
});

describe('the read-only view', () => {
  it('reaches the reads of the DockerSwarm and no write', async () => {
    const { s } = swarm({ [M1]: { answer: routes({ 'GET /nodes': [] }) } });
    const r = readOnly(s);
    expect(await r.nodes.list()).toEqual([]);
    expect(Object.keys(r.nodes)).not.toContain('update');
  });
});
