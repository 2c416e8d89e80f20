import { describe, expect, it } from 'vitest';
import { demuxDockerStream, toClusterInfo, toDaemonInfo, toSwarmNetwork, toSwarmNode } from '../../../src/adapters/docker/docker-json.js';

describe('mapping Docker JSON to our models', () => {
  it('reads a manager node', () => {
    const n = toSwarmNode({
      ID: 'abc',
      Version: { Index: 42 },
      Spec: { Role: 'manager', Availability: 'drain', Labels: { az: 'b' } },
      Description: { Hostname: 'm1', Platform: { OS: 'linux' }, Engine: { EngineVersion: '24.0.7', Labels: { az: 'a', disk: 'ssd' } } },
      Status: { State: 'ready', Addr: '10.0.0.1' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' },
    });
    expect(n).toEqual({
      id: 'abc', hostname: 'm1', role: 'manager', state: 'ready', availability: 'drain', addr: '10.0.0.1', engineVersion: '24.0.7', os: 'linux',
      labels: { az: 'b', disk: 'ssd' }, nodeLabels: { az: 'b' }, manager: { leader: true, reachability: 'reachable', addr: '10.0.0.1:2377' }, version: 42,
    });
  });

  it('reads /info without a leader', () => {
    const i = toDaemonInfo('tcp://a:2376', {
      Name: 'm1',
      Swarm: { NodeID: 'n1', LocalNodeState: 'active', ControlAvailable: true, Error: 'The swarm does not have a leader.', RemoteManagers: [{ NodeID: 'n1', Addr: '10.0.0.1:2377' }] },
    });
    expect(i).toMatchObject({ endpoint: 'tcp://a:2376', name: 'm1', managers: 0, remoteManagers: [{ nodeId: 'n1', addr: '10.0.0.1:2377' }], error: 'The swarm does not have a leader.' });
  });

  it('keeps only Spec.Labels as the node labels a label change starts from', () => {
    const n = toSwarmNode({ ID: 'w1', Description: { Engine: { Labels: { disk: 'ssd' } } } });
    expect([n.labels, n.nodeLabels]).toEqual([{ disk: 'ssd' }, {}]);
  });

  it("reads who issued a node's certificate, as Docker gives it, only when it says", () => {
    const tls = { TrustRoot: 'PEM', CertIssuerSubject: 'MBMxETARBgNV', CertIssuerPublicKey: 'MFkwEwYHKoZI' };
    expect(toSwarmNode({ ID: 'w1', Description: { TLSInfo: tls } }).tlsIssuer).toEqual({ subject: 'MBMxETARBgNV', publicKey: 'MFkwEwYHKoZI' });
    expect(toSwarmNode({ ID: 'w1', Description: {} })).not.toHaveProperty('tlsIssuer');
  });

  it('reads the cluster from GET /swarm: Go durations in ms, and never its join tokens', () => {
    const c = toClusterInfo({
      ID: 'clu1',
      CreatedAt: '2024-05-01T10:00:00.123456789Z',
      Version: { Index: 9 },
      Spec: { CAConfig: { NodeCertExpiry: 7_776_000_000_000_000, ForceRotate: 2 }, EncryptionConfig: { AutoLockManagers: true } },
      JoinTokens: { Worker: 'SWMTKN-1-w', Manager: 'SWMTKN-1-m' },
      TLSInfo: { TrustRoot: 'PEM', CertIssuerSubject: 'subj', CertIssuerPublicKey: 'pub' },
      RootRotationInProgress: true,
    });
    expect(c).toEqual({
      id: 'clu1',
      createdAt: new Date('2024-05-01T10:00:00.123Z'),
      rootCaPem: 'PEM',
      tlsIssuer: { subject: 'subj', publicKey: 'pub' },
      rootRotationInProgress: true,
      nodeCertPeriodMs: 90 * 24 * 3600 * 1000,
      forceRotate: 2,
      autolock: true,
    });
    expect(JSON.stringify(c)).not.toContain('SWMTKN');
  });

  it("takes Docker's defaults for what an old or bare GET /swarm leaves out", () => {
    expect(toClusterInfo({ Version: { Index: 1 }, Spec: {} })).toEqual({
      id: '',
      rootCaPem: '',
      tlsIssuer: { subject: '', publicKey: '' },
      rootRotationInProgress: false,
      nodeCertPeriodMs: 90 * 24 * 3600 * 1000,
      forceRotate: 0,
      autolock: false,
    });
  });

  it("reads the engine's identity and clock, and the certificate seen on the connection", () => {
    const i = toDaemonInfo(
      'tcp://a:2376',
      { ID: 'ENG1:ABCD', Name: 'w1', ServerVersion: '20.10.24', OSType: 'linux', SystemTime: '2025-03-01T10:00:00.123456789+01:00', Swarm: { LocalNodeState: 'inactive' } },
      { expiresAt: new Date('2026-01-01T00:00:00Z'), fingerprint: '0a'.repeat(32) },
    );
    expect(i).toMatchObject({
      engineId: 'ENG1:ABCD',
      engineVersion: '20.10.24',
      os: 'linux',
      systemTime: new Date('2025-03-01T09:00:00.123Z'),
      apiCertExpiresAt: new Date('2026-01-01T00:00:00Z'),
      apiCertFingerprint: '0a'.repeat(32),
    });
  });

  it('leaves out what an old or odd /info does not say', () => {
    const i = toDaemonInfo('tcp://a:2376', { SystemTime: 'not a time' });
    expect(i).toMatchObject({ engineId: '', engineVersion: 'unknown', os: 'unknown', localState: 'inactive' });
    for (const absent of ['systemTime', 'caExpiresAt', 'apiCertExpiresAt', 'apiCertFingerprint']) expect(i).not.toHaveProperty(absent);
  });

  it('reads an encrypted overlay', () => {
    expect(toSwarmNetwork({ Id: 'x', Name: 'sec', Driver: 'overlay', Scope: 'swarm', Options: { encrypted: '' }, IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1' }] } })).toMatchObject({
      encrypted: true,
      attachable: false,
      subnets: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.1' }],
    });
  });

  it('demultiplexes a non-TTY log stream', () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0]), Buffer.from([0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
    expect(demuxDockerStream(Buffer.concat([frame(1, 'PROBE a 10.0.0.2 ok\n'), frame(2, 'warn\n')]))).toBe('PROBE a 10.0.0.2 ok\nwarn\n');
    expect(demuxDockerStream(Buffer.from('plain text'))).toBe('plain text');
  });
});
