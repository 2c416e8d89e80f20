/**
 * Issue 21, finding 4: a cluster's credentials are read by their names
 * (GetParameters for endpoints, ca, cert, key), never by path: a status or a
 * watch pass no longer decrypts the cluster's unlock key; only the commands
 * that need the key (unlock, recover, autolock) read it, by its name.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsmParameters } from '../../src/adapters/aws/ssm-parameters.js';
import { SsmUnlockKeys } from '../../src/adapters/aws/ssm-unlock-keys.js';
import { UnknownClusterError } from '../../src/errors.js';
import { startSsmStandIn } from '../support/stand-ins.js';

let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
const client = () => new SSMClient({ region: 'eu-west-1', endpoint: ssm.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
const UNLOCK = '/p/clusters/prod/unlock-key';
/** every name a call asked for (GetParameter(s)), and every path it read */
const touched = (from: number) =>
  ssm.calls.slice(from).flatMap((c) => [...((c.input['Names'] as string[] | undefined) ?? []), ...(c.input['Name'] ? [String(c.input['Name'])] : []), ...(c.input['Path'] ? [`path:${String(c.input['Path'])}`] : [])]);

beforeAll(async () => {
  ssm = await startSsmStandIn([
    { name: '/p/clusters/prod/endpoints', type: 'StringList', value: 'tcp://a:2376' },
    { name: '/p/clusters/prod/ca', type: 'SecureString', value: 'CA' },
    { name: '/p/clusters/prod/cert', type: 'SecureString', value: 'CERT' },
    { name: '/p/clusters/prod/key', type: 'SecureString', value: 'KEY' },
    { name: UNLOCK, type: 'SecureString', value: 'SWMKEY-1-secret' },
    { name: '/p/clusters/half/endpoints', type: 'StringList', value: 'tcp://a:2376' },
  ]);
});
afterAll(() => ssm.close());

describe("a cluster's credentials", () => {
  it('are read by their four names in one GetParameters call; the unlock key is not among them', async () => {
    const p = new SsmParameters(client(), '/p');
    const before = ssm.calls.length;
    expect(await p.clusterCredentials('prod')).toEqual({ endpoints: ['tcp://a:2376'], ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(ssm.calls.slice(before).map((c) => c.target)).toEqual(['GetParameters']);
    expect(touched(before).sort()).toEqual(['/p/clusters/prod/ca', '/p/clusters/prod/cert', '/p/clusters/prod/endpoints', '/p/clusters/prod/key']);
  });

  it('are cached, and after invalidate read again once', async () => {
    const p = new SsmParameters(client(), '/p');
    await p.clusterCredentials('prod');
    const before = ssm.calls.length;
    await p.clusterCredentials('prod');
    expect(ssm.calls.length).toBe(before);
    p.invalidate('prod');
    await p.clusterCredentials('prod');
    await p.clusterCredentials('prod');
    expect(ssm.calls.length).toBe(before + 1);
  });

  it('say which are missing, and an unknown cluster is one', async () => {
    const p = new SsmParameters(client(), '/p');
    await expect(p.clusterCredentials('nowhere')).rejects.toThrow(UnknownClusterError);
    await expect(p.clusterCredentials('half')).rejects.toThrow(/missing SSM parameter\(s\): \/p\/clusters\/half\/ca, \/p\/clusters\/half\/cert, \/p\/clusters\/half\/key/);
  });

  it('the unlock key is read only when asked for, by its own name', async () => {
    const p = new SsmParameters(client(), '/p');
    const before = ssm.calls.length;
    expect(await new SsmUnlockKeys(p).get('prod')).toBe('SWMKEY-1-secret');
    expect(touched(before)).toEqual([UNLOCK]);
  });
});
