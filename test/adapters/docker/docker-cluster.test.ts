import { describe, expect, it } from 'vitest';
import { DockerSwarm } from '../../../src/adapters/docker/docker-swarm.js';
import type { DialRequest } from '../../../src/adapters/docker/docker-endpoint.js';
import { readOnly } from '../../../src/ports.js';
import { dockerError, FakeConnector, pending, routes, type FakeDaemon } from '../../support/fake-endpoints.js';

const M1 = 'tcp://10.0.0.1:2376';
const M2 = 'tcp://10.0.0.2:2376';
const KEY = 'SWMKEY-1-secret';
const NINETY_DAYS_NS = 90 * 24 * 3600 * 1e9;

function swarm(daemons: Record<string, FakeDaemon>) {
  const connector = new FakeConnector(daemons);
  const s = new DockerSwarm({ endpoints: Object.keys(daemons), ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
  return { s, connector };
}

const outOfSequence = () => dockerError(500, 'rpc error: code = Unknown desc = update out of sequence');

/** The swarm kept by the fake manager: every update must name its current version, as swarmkit wants. */
function swarmStore(opts: { autolock?: boolean; forceRotate?: number; staleOnce?: boolean; hangAfterCommit?: boolean } = {}) {
  const state = {
    ID: 'clu1',
    CreatedAt: '2024-05-01T10:00:00.5Z',
    Version: { Index: 7 },
    Spec: {
      Name: 'default',
      Raft: { SnapshotInterval: 10000 },
      CAConfig: { NodeCertExpiry: NINETY_DAYS_NS / 3, ForceRotate: opts.forceRotate ?? 0 } as Record<string, unknown>,
      EncryptionConfig: { AutoLockManagers: opts.autolock ?? false },
    } as Record<string, unknown>,
    JoinTokens: { Worker: 'SWMTKN-1-w', Manager: 'SWMTKN-1-m' },
    TLSInfo: { TrustRoot: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', CertIssuerSubject: 'MBMxETAP', CertIssuerPublicKey: 'MFkwEwYH' },
    RootRotationInProgress: false,
  };
  let stale = opts.staleOnce ?? false;
  const keys = { current: KEY };
  const table = {
    'GET /swarm': () => structuredClone(state),
    'GET /swarm/unlockkey': () => ({ UnlockKey: (state.Spec['EncryptionConfig'] as { AutoLockManagers: boolean }).AutoLockManagers ? keys.current : '' }),
    'POST /swarm/update': (req: DialRequest) => {
      if (stale || req.query?.['version'] !== state.Version.Index) {
        stale = false;
        state.Version.Index++;
        throw outOfSequence();
      }
      state.Spec = structuredClone(req.body) as Record<string, unknown>;
      if (req.query?.['rotateManagerUnlockKey']) keys.current = 'SWMKEY-1-rotated';
      state.Version.Index++;
      return opts.hangAfterCommit ? pending(req) : {};
    },
  };
  return { state, keys, table };
}

const updates = (connector: FakeConnector) => connector.sent.filter((r) => r.method === 'POST' && r.path === '/swarm/update');

describe('cluster.inspect', () => {
  it('maps GET /swarm, without its join tokens, and is reachable through the read-only view', async () => {
    const { table } = swarmStore({ autolock: true, forceRotate: 3 });
    const { s } = swarm({ [M1]: { answer: routes(table) } });
    const info = await readOnly(s).cluster.inspect();
    expect(info).toEqual({
      id: 'clu1',
      createdAt: new Date('2024-05-01T10:00:00.500Z'),
      rootCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      tlsIssuer: { subject: 'MBMxETAP', publicKey: 'MFkwEwYH' },
      rootRotationInProgress: false,
      nodeCertPeriodMs: 30 * 24 * 3600 * 1000,
      forceRotate: 3,
      autolock: true,
    });
    expect(JSON.stringify(info)).not.toContain('SWMTKN');
  });
});

describe('cluster.rotateCa', () => {
  it('sends the whole Spec back with ForceRotate one higher, with the version it read', async () => {
    const { table } = swarmStore({ forceRotate: 4 });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.rotateCa();
    const [sent, ...more] = updates(connector);
    expect(more).toHaveLength(0);
    expect(sent?.query).toEqual({ version: 7 });
    expect(sent?.body).toEqual({
      Name: 'default',
      Raft: { SnapshotInterval: 10000 },
      CAConfig: { NodeCertExpiry: NINETY_DAYS_NS / 3, ForceRotate: 5 },
      EncryptionConfig: { AutoLockManagers: false },
    });
  });

  it('out of sequence: re-reads and sends again with the fresh version, still one higher', async () => {
    const { state, table } = swarmStore({ forceRotate: 4, staleOnce: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.rotateCa();
    expect(updates(connector).map((r) => [r.query?.['version'], (r.body as { CAConfig: { ForceRotate: number } }).CAConfig.ForceRotate])).toEqual([
      [7, 5],
      [8, 5],
    ]);
    expect((state.Spec['CAConfig'] as { ForceRotate: number }).ForceRotate).toBe(5);
  });

  it('a rotation that went through unconfirmed is read back, not started twice', async () => {
    const { table } = swarmStore({ hangAfterCommit: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) }, [M2]: { answer: routes(table) } });
    await s.cluster.rotateCa();
    expect(updates(connector)).toHaveLength(1);
  });

  it("Docker's refusal is a CONFLICT that says what was refused", async () => {
    const { table } = swarmStore();
    const answer = routes({ ...table, 'POST /swarm/update': () => Promise.reject(dockerError(400, 'invalid CA config')) });
    const { s } = swarm({ [M1]: { answer } });
    await expect(s.cluster.rotateCa()).rejects.toMatchObject({ code: 'CONFLICT', message: 'Docker refused the CA rotation: invalid CA config' });
  });
});

describe('cluster.setAutolock', () => {
  it('turns autolock on, keeping the rest of the Spec', async () => {
    const { state, table } = swarmStore({ forceRotate: 2 });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.setAutolock(true);
    expect(updates(connector)[0]?.body).toMatchObject({ CAConfig: { ForceRotate: 2 }, EncryptionConfig: { AutoLockManagers: true }, Raft: { SnapshotInterval: 10000 } });
    expect(state.Spec['EncryptionConfig']).toEqual({ AutoLockManagers: true });
  });

  it('sends nothing when autolock already is as asked', async () => {
    const { table } = swarmStore({ autolock: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.setAutolock(true);
    expect(updates(connector)).toHaveLength(0);
  });

  it('out of sequence: re-reads and sends again with the fresh version', async () => {
    const { state, table } = swarmStore({ autolock: true, staleOnce: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.setAutolock(false);
    expect(updates(connector).map((r) => r.query?.['version'])).toEqual([7, 8]);
    expect(state.Spec['EncryptionConfig']).toEqual({ AutoLockManagers: false });
  });
});

describe('cluster.rotateUnlockKey', () => {
  it('asks Docker to rotate the key, with the whole Spec and its version', async () => {
    const { keys, table } = swarmStore({ autolock: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.rotateUnlockKey();
    expect(updates(connector)).toMatchObject([{ query: { version: 7, rotateManagerUnlockKey: true }, body: { EncryptionConfig: { AutoLockManagers: true } } }]);
    expect(keys.current).toBe('SWMKEY-1-rotated');
  });

  it('is refused before anything is sent when autolock is off', async () => {
    const { table } = swarmStore();
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await expect(s.cluster.rotateUnlockKey()).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/autolock on/) });
    expect(updates(connector)).toHaveLength(0);
  });

  it('out of sequence (surely not applied): re-reads and sends again', async () => {
    const { table } = swarmStore({ autolock: true, staleOnce: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) } });
    await s.cluster.rotateUnlockKey();
    expect(updates(connector).map((r) => r.query)).toEqual([
      { version: 7, rotateManagerUnlockKey: true },
      { version: 8, rotateManagerUnlockKey: true },
    ]);
  });

  it('an unconfirmed rotation is UNCERTAIN and not sent again (the key cannot be read back)', async () => {
    const { table } = swarmStore({ autolock: true, hangAfterCommit: true });
    const { s, connector } = swarm({ [M1]: { answer: routes(table) }, [M2]: { answer: routes(table) } });
    const err = await s.cluster.rotateUnlockKey().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNCERTAIN', message: expect.stringMatching(/not sent again/) });
    expect(updates(connector)).toHaveLength(1);
  });
});

describe('cluster.unlockKey', () => {
  it('returns the key', async () => {
    const { table } = swarmStore({ autolock: true });
    const { s } = swarm({ [M1]: { answer: routes(table) } });
    expect(await s.cluster.unlockKey()).toBe(KEY);
  });

  it('with autolock off there is no key: a CONFLICT saying so', async () => {
    const { table } = swarmStore();
    const { s } = swarm({ [M1]: { answer: routes(table) } });
    await expect(s.cluster.unlockKey()).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/autolock is off/i) });
  });

  it.each([
    ['Docker echoes it in a refusal', () => Promise.reject(dockerError(500, `cannot hand out ${KEY}`))],
    ['no manager answers in time', pending],
    ['the only endpoint is not a manager', () => Promise.reject(dockerError(503, `This node is not a swarm manager (${KEY})`))],
  ])('never carries the key in an error message: %s', async (_, answer) => {
    const { s } = swarm({ [M1]: { answer: routes({ 'GET /swarm/unlockkey': answer }) } });
    const err = (await s.cluster.unlockKey().catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'SwarmError' });
    expect(`${err.message} ${err.stack}`).not.toContain(KEY);
  });
});
