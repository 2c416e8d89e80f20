import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/adapters/docker/docker-errors.js';

const dockerError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

describe('classify: which failures make the next manager worth trying', () => {
  it.each([
    [dockerError(503, 'This node is not a swarm manager. Use "docker swarm init"'), 'not-manager'],
    [dockerError(500, 'rpc error: code = Unknown desc = The swarm does not have a leader. It\'s possible that too few managers are online.'), 'no-leader'],
    [dockerError(500, 'rpc error: code = DeadlineExceeded desc = context deadline exceeded'), 'no-leader'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.2:2376'), { code: 'ECONNREFUSED' }), 'unreachable'],
    [Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 'tls'],
    [Object.assign(new Error('sslv3 alert bad certificate'), { code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }), 'tls'],
    [dockerError(503, 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.'), 'locked'],
    [dockerError(409, 'network with name x already exists'), undefined],
    [dockerError(500, 'rpc error: code = Unknown desc = update out of sequence'), undefined],
  ])('%s → %s', (err, kind) => {
    expect(classify(err)).toBe(kind);
  });
});

