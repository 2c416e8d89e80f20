import { describe, expect, it } from 'vitest';
import { classify, demuxDockerStream, toDaemonInfo, toSwarmNetwork, toSwarmNode } from '../../src/adapters/docker-swarm.js';

const dockerError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

describe('classify: which failures make the next manager worth trying', () => {
  it.each([
    [dockerError(503, 'This node is not a swarm manager. Use "docker swarm init"'), 'not-manager'],
    [dockerError(500, 'rpc error: code = Unknown desc = The swarm does not have a leader. It\'s possible that too few managers are online.'), 'no-leader'],
    [dockerError(500, 'rpc error: code = DeadlineExceeded desc = context deadline exceeded'), 'no-leader'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.2:2376'), { code: 'ECONNREFUSED' }), 'unreachable'],
    [Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tls'],
    [Object.assign(new Error('sslv3 alert bad certificate'), { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }), 'tls'],
    [dockerError(409, 'network with name x already exists'), undefined],
    [dockerError(500, 'rpc error: code = Unknown desc = update out of sequence'), undefined],
  ])('%s → %s', (err, kind) => {
    expect(classify(err)).toBe(kind);
  });
});

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
      labels: { az: 'b', disk: 'ssd' }, manager: { leader: true, reachability: 'reachable', addr: '10.0.0.1:2377' }, version: 42,
    });
  });

  it('reads /info without a leader', () => {
    const i = toDaemonInfo('tcp://a:2376', {
      Name: 'm1',
      Swarm: { NodeID: 'n1', LocalNodeState: 'active', ControlAvailable: true, Error: 'The swarm does not have a leader.', RemoteManagers: [{ NodeID: 'n1', Addr: '10.0.0.1:2377' }] },
    });
    expect(i).toMatchObject({ endpoint: 'tcp://a:2376', name: 'm1', managers: 0, remoteManagers: [{ nodeId: 'n1', addr: '10.0.0.1:2377' }], error: 'The swarm does not have a leader.' });
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
