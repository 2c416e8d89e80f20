import { describe, expect, it } from 'vitest';
import { demuxDockerStream, toDaemonInfo, toSwarmNetwork, toSwarmNode } from '../../src/adapters/docker-json.js';

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
