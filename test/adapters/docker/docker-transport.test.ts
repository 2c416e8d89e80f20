import { describe, expect, it } from 'vitest';
import { DockerTransport, OUR_API_VERSION, type DockerSwarmOptions } from '../../../src/adapters/docker/docker-transport.js';
import { parseEndpoint } from '../../../src/adapters/docker/docker-endpoint.js';
import { SwarmError } from '../../../src/errors.js';
import { dockerError, FakeConnector, netError, pending, type FakeDaemon } from '../../support/fake-endpoints.js';

const A = 'tcp://10.0.0.1:2376';
const B = 'tcp://10.0.0.2:2376';
const C = 'tcp://10.0.0.3:2376';
const ok = { answer: () => ['node'] } satisfies FakeDaemon;
const notManager = { answer: () => Promise.reject(dockerError(503, 'This node is not a swarm manager. Use "docker swarm init"')) } satisfies FakeDaemon;
const locked = {
  answer: () => Promise.reject(dockerError(503, 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.')),
} satisfies FakeDaemon;
const noLeader = { answer: () => Promise.reject(dockerError(500, "rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online.")) } satisfies FakeDaemon;

function transport(daemons: Record<string, FakeDaemon>, opts: DockerSwarmOptions = {}) {
  const connector = new FakeConnector(daemons);
  const t = new DockerTransport(
    { endpoints: Object.keys(daemons), ca: 'CA', cert: 'CERT', key: 'KEY' },
    { callTimeoutMs: 300, connectTimeoutMs: 100, failoverBudgetMs: 3000, connector, ...opts },
  );
  return { t, connector };
}

const read = (t: DockerTransport) => t.call((s) => s.get<string[]>('/nodes'));
const write = (t: DockerTransport) => t.call((s) => s.post<unknown>('/networks/create', { Name: 'x' }), { write: true });
const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof SwarmError ? e.code : `raw: ${String(e)}`));

describe('parseEndpoint', () => {
  it.each([
    ['tcp://10.0.0.1:2376', { host: '10.0.0.1', port: 2376 }],
    ['https://m1.example:2376/', { host: 'm1.example', port: 2376 }],
    ['tcp://[fd00::1]:2376', { host: 'fd00::1', port: 2376 }],
  ])('%s', (url, want) => expect(parseEndpoint(url)).toMatchObject(want));

  it('refuses what is not a Docker API URL', () => {
    expect(() => parseEndpoint('unix:///var/run/docker.sock')).toThrow(/tcp:\/\/HOST:PORT/);
  });
});

describe('fail-over across managers', () => {
  it('goes on to the second manager when the first refuses the connection', async () => {
    const { t, connector } = transport({ [A]: { ping: 'refuse', ...ok }, [B]: ok });
    expect(await read(t)).toEqual(['node']);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([0, 1]);
    expect(t.activeEndpoint).toBe(B);
  });

  it('gives up on a black-holed manager after the connect time limit, not the call limit', async () => {
    const { t, connector } = transport({ [A]: { ping: 'hang', ...ok }, [B]: ok }, { connectTimeoutMs: 50, callTimeoutMs: 2000 });
    const started = Date.now();
    expect(await read(t)).toEqual(['node']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(connector.to(B)).toHaveLength(1);
  });

  it('goes on when the first endpoint is not a manager', async () => {
    const { t, connector } = transport({ [A]: notManager, [B]: ok });
    expect(await read(t)).toEqual(['node']);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 1]);
  });

  it('goes on when the first manager has no leader', async () => {
    const { t, connector } = transport({ [A]: noLeader, [B]: ok });
    expect(await read(t)).toEqual(['node']);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 1]);
  });

  it('goes on, reads and writes alike, when the first manager restarted locked (autolock)', async () => {
    const { t, connector } = transport({ [A]: locked, [B]: { answer: () => ({ Id: 'n1' }) } });
    expect(await write(t)).toEqual({ Id: 'n1' });
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 1]);
  });

  it('says to unlock when every manager is locked', async () => {
    const { t } = transport({ [A]: locked, [B]: locked });
    const err = await read(t).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENDPOINTS_UNREACHABLE', message: expect.stringMatching(/locked \(autolock\).*`\/swarm unlock <manager>`/) });
  });

  it('starts the next call with the manager that answered last', async () => {
    const { t, connector } = transport({ [A]: notManager, [B]: ok });
    await read(t);
    await read(t);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 2]);
  });

  it("returns Docker's own answer to the call without trying another manager", async () => {
    const { t, connector } = transport({ [A]: { answer: () => Promise.reject(dockerError(409, 'network with name x already exists')) }, [B]: ok });
    await expect(read(t)).rejects.toMatchObject({ statusCode: 409 });
    expect(connector.to(B)).toHaveLength(0);
  });

  it('stops trying further managers when the fail-over budget is spent', async () => {
    const { t, connector } = transport({ [A]: { ping: 'hang' }, [B]: { ping: 'hang' }, [C]: ok }, { connectTimeoutMs: 200, failoverBudgetMs: 600 });
    const err = await read(t).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENDPOINTS_UNREACHABLE' });
    expect((err as Error).message).toMatch(/1 more endpoint not tried/);
    expect([connector.pings[A], connector.pings[B], connector.pings[C]]).toEqual([1, 1, undefined]);
  });
});

describe('writes are only sent again when they surely did not arrive', () => {
  it('sends a write to the second manager when the first refused the connection', async () => {
    const { t, connector } = transport({ [A]: { ping: 'refuse' }, [B]: { answer: () => ({ Id: 'n1' }) } });
    expect(await write(t)).toEqual({ Id: 'n1' });
    expect(connector.to(B, 'POST /networks/create')).toHaveLength(1);
  });

  it('sends a write to the second manager when the first is not a manager', async () => {
    const { t, connector } = transport({ [A]: notManager, [B]: { answer: () => ({ Id: 'n1' }) } });
    await write(t);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 1]);
  });

  it('does not resend a write that timed out after it was sent: it is UNCERTAIN', async () => {
    const { t, connector } = transport({ [A]: { answer: pending }, [B]: { answer: () => ({ Id: 'n1' }) } });
    expect(await codeOf(write(t))).toBe('UNCERTAIN');
    expect(connector.to(A)).toHaveLength(1);
    expect(connector.to(B)).toHaveLength(0);
  });

  it('does not resend a write whose connection was reset after it was sent', async () => {
    const { t, connector } = transport({ [A]: { answer: () => Promise.reject(netError('ECONNRESET', 'socket hang up')) }, [B]: ok });
    expect(await codeOf(write(t))).toBe('UNCERTAIN');
    expect(connector.to(B)).toHaveLength(0);
  });

  it('does not resend a write that hit a swarm deadline', async () => {
    const { t, connector } = transport({ [A]: { answer: () => Promise.reject(dockerError(500, 'rpc error: code = DeadlineExceeded desc = context deadline exceeded')) }, [B]: ok });
    expect(await codeOf(write(t))).toBe('UNCERTAIN');
    expect(connector.to(B)).toHaveLength(0);
  });

  it('does not call it refused when the leader lost its quorum with the change in its log: it may still be committed', async () => {
    // what dockerd 20.10 answered in the lab when two of three managers died mid-promote; the promote happened minutes later
    const lost = dockerError(500, 'rpc error: code = Unknown desc = raft: failed to process the request: node lost leader status');
    const { t, connector } = transport({ [A]: { answer: () => Promise.reject(lost) }, [B]: ok });
    const err = await write(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwarmError);
    expect((err as SwarmError).code).toBe('UNCERTAIN');
    expect((err as SwarmError).message).toMatch(/may still apply it once enough managers are back/);
    expect(connector.to(B)).toHaveLength(0);
    // a read hitting the same goes on to the next manager
    const { t: t2 } = transport({ [A]: { answer: () => Promise.reject(lost) }, [B]: ok });
    expect(await read(t2)).toEqual(['node']);
  });

  it('does go on with a read that timed out', async () => {
    const { t, connector } = transport({ [A]: { ping: 'hang', answer: pending }, [B]: ok });
    // the first ping must answer for the call to be sent at all: let it, then hang
    connector.daemons[A]!.ping = { apiVersion: '1.47' };
    await t.connection(parseEndpoint(A), AbortSignal.timeout(100));
    connector.daemons[A]!.ping = 'hang';
    expect(await read(t)).toEqual(['node']);
    expect([connector.to(A).length, connector.to(B).length]).toEqual([1, 1]);
  });
});

describe('what is left when no manager answers', () => {
  it('a manager whose swarm API hangs while its daemon answers /_ping has no leader: QUORUM_LOST', async () => {
    const { t, connector } = transport({ [A]: { answer: pending }, [B]: { answer: pending } });
    const err = await read(t).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'QUORUM_LOST' });
    expect((err as Error).message).toMatch(/swarm API timed out \(daemon up\)/);
    // one ping to negotiate, one to tell "no leader" from "down"
    expect([connector.pings[A], connector.pings[B]]).toEqual([2, 2]);
  });

  it.each([
    ['every manager fails TLS', 'TLS', { [A]: { ping: 'tls' }, [B]: { ping: 'tls' } }],
    ['no endpoint is a manager', 'NOT_A_MANAGER', { [A]: notManager, [B]: notManager }],
    ['no endpoint answers', 'ENDPOINTS_UNREACHABLE', { [A]: { ping: 'refuse' }, [B]: { ping: 'hang' } }],
    ['one has no leader, one is down', 'QUORUM_LOST', { [A]: noLeader, [B]: { ping: 'refuse' } }],
    ['one fails TLS, one is down', 'ENDPOINTS_UNREACHABLE', { [A]: { ping: 'tls' }, [B]: { ping: 'refuse' } }],
  ] as Array<[string, string, Record<string, FakeDaemon>]>)('%s → %s', async (_, code, daemons) => {
    const { t } = transport(daemons);
    expect(await codeOf(read(t))).toBe(code);
  });
});

describe('API version negotiation', () => {
  it.each([
    ['1.41', '1.41'],
    ['1.52', OUR_API_VERSION],
  ])('a daemon speaking up to %s is spoken to in %s', async (theirs, used) => {
    const { t, connector } = transport({ [A]: { ping: { apiVersion: theirs }, ...ok } });
    expect(await t.call(async (s) => s.apiVersion)).toBe(used);
    expect(connector.clients).toEqual([{ url: A, apiVersion: used, idleTimeoutMs: 300 }]);
  });

  it('negotiates once per endpoint, but retries a failed negotiation on the next call', async () => {
    const { t, connector } = transport({ [A]: { ping: 'refuse', ...ok } });
    expect(await codeOf(read(t))).toBe('ENDPOINTS_UNREACHABLE');
    connector.daemons[A]!.ping = { apiVersion: '1.47' };
    await read(t);
    await read(t);
    expect(connector.pings[A]).toBe(2);
  });

  it('keeps the daemon certificate seen on /_ping for the session', async () => {
    const cert = { expiresAt: new Date('2030-01-01T00:00:00Z'), fingerprint: 'ab'.repeat(32) };
    const { t } = transport({ [A]: { ping: { apiVersion: '1.47', cert }, ...ok } });
    expect(await t.call(async (s) => s.cert)).toEqual(cert);
  });
});

describe('one daemon that need not be a manager', () => {
  it('gets its own client when a call may stay silent longer', async () => {
    const { t, connector } = transport({ [A]: ok });
    const d = await t.daemon(A, 60_000);
    await d.session(AbortSignal.timeout(100)).get('/info');
    expect(connector.clients.map((c) => c.idleTimeoutMs)).toEqual([300, 60_000]);
    expect(connector.to(A, 'GET /info')).toHaveLength(1);
  });

  it.each([
    ['tls', 'TLS'],
    ['refuse', 'ENDPOINTS_UNREACHABLE'],
  ] as const)('a daemon failing with %s → %s', async (ping, code) => {
    const { t } = transport({ [A]: ok, [B]: { ping } });
    expect(await codeOf(t.daemon(B))).toBe(code);
  });
});
