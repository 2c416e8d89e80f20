import { describe, expect, it } from 'vitest';
import { DockerDaemons } from '../../../src/adapters/docker/docker-daemons.js';
import { TIMED_OUT_EXIT_CODE } from '../../../src/adapters/docker/docker-run-once.js';
import { DockerTransport } from '../../../src/adapters/docker/docker-transport.js';
import type { DialRequest } from '../../../src/adapters/docker/docker-endpoint.js';
import { dockerError, FakeConnector, pending, routes, type Answer, type FakeDaemon } from '../../support/fake-endpoints.js';

const M1 = 'tcp://10.0.0.1:2376';
const D = 'tcp://10.0.0.5:2376';
const KEY = 'SWMKEY-1-secret';
const SLOW_MS = 300;

/** One daemon at D, reached on its own (not through the manager M1). */
function daemonAt(answer: Answer, extra: Record<string, FakeDaemon> = {}) {
  const connector = new FakeConnector({ [M1]: {}, [D]: { answer }, ...extra });
  const t = new DockerTransport({ endpoints: [M1], ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
  return { d: new DockerDaemons(t, { slowCallMs: SLOW_MS, settleMs: 400 }), connector };
}

const info = (localState: string, more: Record<string, unknown> = {}) => ({ ID: 'ENG5', Name: 'm5', Swarm: { NodeID: 'm5', LocalNodeState: localState, ...more } });
const posts = (c: FakeConnector, path: string) => c.to(D, `POST ${path}`);

describe('daemons.unlock', () => {
  it('sends the key to the locked manager itself, on a client allowed to wait for it', async () => {
    const { d, connector } = daemonAt(routes({ 'POST /swarm/unlock': {} }));
    await d.unlock(D, KEY);
    expect(posts(connector, '/swarm/unlock')).toMatchObject([{ body: { UnlockKey: KEY } }]);
    expect(connector.to(M1)).toHaveLength(0);
    expect(connector.clients.filter((c) => c.url === D).map((c) => c.idleTimeoutMs)).toContain(SLOW_MS + 15_000);
  });

  it('a wrong key is a VALIDATION error saying the kept key does not unlock it', async () => {
    const { d } = daemonAt(routes({ 'POST /swarm/unlock': () => Promise.reject(dockerError(401, 'swarm could not be unlocked: invalid key provided')) }));
    await expect(d.unlock(D, KEY)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/^The kept unlock key does not unlock/) });
  });

  it('a manager that is not locked: says so', async () => {
    const { d } = daemonAt(routes({ 'POST /swarm/unlock': () => Promise.reject(dockerError(409, 'swarm is not locked')) }));
    await expect(d.unlock(D, KEY)).rejects.toMatchObject({ code: 'CONFLICT', message: `${D} is not locked: there is nothing to unlock.` });
  });

  it('an unconfirmed unlock is read back: a manager no longer locked took the key', async () => {
    const { d, connector } = daemonAt(routes({ 'POST /swarm/unlock': pending, 'GET /info': info('active') }));
    await d.unlock(D, KEY);
    expect(posts(connector, '/swarm/unlock')).toHaveLength(1);
  });

  it('an unconfirmed unlock of a manager still locked stays UNCERTAIN', async () => {
    const { d } = daemonAt(routes({ 'POST /swarm/unlock': pending, 'GET /info': info('locked') }));
    await expect(d.unlock(D, KEY)).rejects.toMatchObject({ code: 'UNCERTAIN' });
  });

  it('without a kept key nothing is sent', async () => {
    const { d, connector } = daemonAt(routes({}));
    await expect(d.unlock(D, '')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(connector.sent).toHaveLength(0);
  });

  it.each([
    ['a key-shaped echo', KEY, () => Promise.reject(dockerError(401, `swarm could not be unlocked: invalid key provided: ${KEY}`))],
    ['an echo of a key of another shape', 'hunter2-kept-key', () => Promise.reject(dockerError(500, 'bad key hunter2-kept-key'))],
    ['a refusal of another kind', 'hunter2-kept-key', () => Promise.reject(dockerError(503, 'rpc error: hunter2-kept-key'))],
  ])('the key never reaches an error message: %s', async (_, key, answer) => {
    const { d } = daemonAt(routes({ 'POST /swarm/unlock': answer }));
    const err = (await d.unlock(D, key).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'SwarmError' });
    expect(`${err.message} ${err.stack}`).not.toContain(key);
  });
});

describe('daemons.forceNewCluster', () => {
  it('inits with ForceNewCluster on the survivor, listening on 2377 and advertising the given address', async () => {
    const { d, connector } = daemonAt(routes({ 'GET /info': info('active', { ControlAvailable: true }), 'POST /swarm/init': 'm5' }));
    await d.forceNewCluster(D, '10.0.0.5');
    expect(posts(connector, '/swarm/init').map((r) => r.body)).toEqual([{ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.0.0.5', ForceNewCluster: true }]);
  });

  it('sends back ForceRotate and autolock when told them, as Docker resets them from the request otherwise', async () => {
    const { d, connector } = daemonAt(routes({ 'GET /info': info('active'), 'POST /swarm/init': 'm5' }));
    await d.forceNewCluster(D, '10.0.0.5', { keep: { forceRotate: 3, autolock: true } });
    expect(posts(connector, '/swarm/init')[0]?.body).toMatchObject({ Spec: { CAConfig: { ForceRotate: 3 }, EncryptionConfig: { AutoLockManagers: true } } });
  });

  it('refuses a daemon in no swarm before sending anything: it would start a new, empty swarm', async () => {
    const { d, connector } = daemonAt(routes({ 'GET /info': info('inactive') }));
    await expect(d.forceNewCluster(D, '10.0.0.5')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/new, empty one/) });
    expect(posts(connector, '/swarm/init')).toHaveLength(0);
  });

  it("a worker's refusal is a VALIDATION error naming what is needed", async () => {
    const workerOnly = dockerError(503, "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.");
    const { d } = daemonAt(routes({ 'GET /info': info('active'), 'POST /swarm/init': () => Promise.reject(workerOnly) }));
    await expect(d.forceNewCluster(D, '10.0.0.5')).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/surviving manager/) });
  });

  it('an unconfirmed recovery is watched until the survivor is the only manager, and not sent again', async () => {
    let forced = false;
    const answer = routes({
      'GET /info': () =>
        info('active', {
          ControlAvailable: true,
          RemoteManagers: forced ? [{ NodeID: 'm5', Addr: '10.0.0.5:2377' }] : ['m5', 'm6', 'm7'].map((n) => ({ NodeID: n, Addr: `${n}:2377` })),
        }),
      'POST /swarm/init': (req: DialRequest) => {
        setTimeout(() => (forced = true), SLOW_MS + 100);
        return pending(req);
      },
    });
    const { d, connector } = daemonAt(answer);
    await d.forceNewCluster(D, '10.0.0.5');
    expect(posts(connector, '/swarm/init')).toHaveLength(1);
  });

  it('an unconfirmed recovery that never shows is UNCERTAIN', async () => {
    const { d } = daemonAt(routes({ 'GET /info': info('active', { RemoteManagers: [{ NodeID: 'm6', Addr: 'm6:2377' }] }), 'POST /swarm/init': pending }));
    await expect(d.forceNewCluster(D, '10.0.0.5')).rejects.toMatchObject({ code: 'UNCERTAIN' });
  });
});

describe('daemons.leave', () => {
  it('sends force as asked', async () => {
    const { d, connector } = daemonAt(routes({ 'POST /swarm/leave': {} }));
    await d.leave(D, true);
    expect(posts(connector, '/swarm/leave')).toMatchObject([{ query: { force: true } }]);
  });

  it('a daemon in no swarm has left already', async () => {
    const { d } = daemonAt(routes({ 'POST /swarm/leave': () => Promise.reject(dockerError(503, 'This node is not part of a swarm')) }));
    await expect(d.leave(D, false)).resolves.toBeUndefined();
  });

  it('a manager refused without force: QUORUM_GUARD', async () => {
    const msg = 'You are attempting to leave the swarm on a node that is participating as a manager. Use `--force` to suppress this message.';
    const { d } = daemonAt(routes({ 'POST /swarm/leave': () => Promise.reject(dockerError(503, msg)) }));
    await expect(d.leave(D, false)).rejects.toMatchObject({ code: 'QUORUM_GUARD', message: expect.stringMatching(/only with force/) });
  });

  it('an unconfirmed leave is read back from /info', async () => {
    const { d, connector } = daemonAt(routes({ 'POST /swarm/leave': pending, 'GET /info': info('inactive') }));
    await d.leave(D, true);
    expect(posts(connector, '/swarm/leave')).toHaveLength(1);
  });
});

describe('daemons.hasImage', () => {
  it('is true on 200 and false on 404, with the name as Docker takes it', async () => {
    const { d, connector } = daemonAt(routes({ 'GET /images/nicolaka/netshoot:v0.13/json': { Id: 'sha256:1' } }));
    expect(await d.hasImage(D, 'nicolaka/netshoot:v0.13')).toBe(true);
    expect(await d.hasImage(D, 'alpine:3.20')).toBe(false);
    expect(connector.to(D).map((r) => r.path)).toEqual(['/images/nicolaka/netshoot:v0.13/json', '/images/alpine:3.20/json']);
  });

  it('refuses what is not an image reference, before asking', async () => {
    const { d, connector } = daemonAt(routes({}));
    await expect(d.hasImage(D, '../../containers/x')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(connector.sent).toHaveLength(0);
  });
});

describe('daemons.runOnce', () => {
  const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
  const spec = { image: 'nicolaka/netshoot:v0.13', cmd: ['sh', '-c', 'nc -z 10.0.0.1 2377'], timeoutMs: 1500 };
  const container = (over: Record<string, unknown> = {}) =>
    routes({
      'POST /containers/create': { Id: 'c0ffee' },
      'POST /containers/c0ffee/start': {},
      'POST /containers/c0ffee/wait': { StatusCode: 1 },
      'POST /containers/c0ffee/kill': {},
      'GET /containers/c0ffee/logs': frame(1, 'PORT 2377 closed\n'),
      'DELETE /containers/c0ffee': {},
      ...over,
    });
  const calls = (c: FakeConnector) => c.to(D).map((r) => `${r.method} ${r.path}`);

  it('creates a labelled host-network container, runs it, reads its output and removes it', async () => {
    const { d, connector } = daemonAt(container());
    expect(await d.runOnce(D, spec)).toEqual({ exitCode: 1, output: 'PORT 2377 closed\n' });
    expect(calls(connector)).toEqual([
      'POST /containers/create',
      'POST /containers/c0ffee/start',
      'POST /containers/c0ffee/wait',
      'GET /containers/c0ffee/logs',
      'DELETE /containers/c0ffee',
    ]);
    const [created] = posts(connector, '/containers/create');
    expect(created?.body).toEqual({
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: { 'swarm-ops.preflight': '1' },
      HostConfig: { NetworkMode: 'host', AutoRemove: false },
    });
    expect(created?.query?.['name']).toMatch(/^swarm-ops-preflight-[0-9a-f]{12}$/);
    expect(connector.to(D, 'DELETE /containers/c0ffee')[0]?.query).toEqual({ force: true });
    expect(connector.clients.filter((c) => c.url === D).map((c) => c.idleTimeoutMs)).toContain(spec.timeoutMs);
  });

  it('a container still running at the time limit is killed, read and removed, within the limit', async () => {
    const { d, connector } = daemonAt(container({ 'POST /containers/c0ffee/wait': pending }));
    const started = Date.now();
    const out = await d.runOnce(D, spec);
    expect(Date.now() - started).toBeLessThan(spec.timeoutMs + 300);
    expect(out).toEqual({ exitCode: TIMED_OUT_EXIT_CODE, output: 'PORT 2377 closed\nswarm-ops: stopped after 2 s (time limit)\n' });
    expect(calls(connector).slice(2)).toEqual(['POST /containers/c0ffee/wait', 'POST /containers/c0ffee/kill', 'GET /containers/c0ffee/logs', 'DELETE /containers/c0ffee']);
  });

  it('a container that fails to start is removed, and the failure surfaces', async () => {
    const { d, connector } = daemonAt(container({ 'POST /containers/c0ffee/start': () => Promise.reject(dockerError(500, 'port is already allocated')) }));
    await expect(d.runOnce(D, spec)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/port is already allocated/) });
    expect(connector.to(D, 'DELETE /containers/c0ffee')).toHaveLength(1);
  });

  it('an image that is not there: NOT_FOUND, and nothing to remove', async () => {
    const { d, connector } = daemonAt(container({ 'POST /containers/create': () => Promise.reject(dockerError(404, 'No such image: nicolaka/netshoot:v0.13')) }));
    await expect(d.runOnce(D, spec)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/pull it there first/) });
    expect(connector.sent.filter((r) => r.method === 'DELETE')).toHaveLength(0);
  });

  it('a container that could not be removed is named, with how to remove it', async () => {
    const { d } = daemonAt(container({ 'DELETE /containers/c0ffee': () => Promise.reject(dockerError(500, 'device or resource busy')) }));
    await expect(d.runOnce(D, spec)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/docker rm -f swarm-ops-preflight-/) });
  });
});
