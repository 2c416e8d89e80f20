import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsmParameters } from '../../src/adapters/ssm-parameters.js';
import { ConfigError, UnknownClusterError } from '../../src/errors.js';
import { startSsmStandIn } from '../support/stand-ins.js';

let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
const client = () => new SSMClient({ region: 'eu-west-1', endpoint: ssm.url, credentials: { accessKeyId: 't', secretAccessKey: 't' } });
const policy = JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } });

beforeAll(async () => {
  ssm = await startSsmStandIn([
    { name: '/p/slack/signing-secret', type: 'SecureString', value: 'sig' },
    { name: '/p/slack/bot-token', type: 'SecureString', value: 'tok' },
    { name: '/p/slack/bot-user-id', type: 'String', value: 'U0BOT' },
    { name: '/p/policy', type: 'String', value: policy },
    { name: '/p/clusters/prod/endpoints', type: 'StringList', value: 'tcp://a:2376, tcp://b:2376' },
    { name: '/p/clusters/prod/ca', type: 'SecureString', value: 'CA' },
    { name: '/p/clusters/prod/cert', type: 'SecureString', value: 'CERT' },
    { name: '/p/clusters/prod/key', type: 'SecureString', value: 'KEY' },
    // enough noise under the path to need a second page
    ...Array.from({ length: 9 }, (_, i) => ({ name: `/p/clusters/prod/extra/${i}`, type: 'String' as const, value: 'x' })),
    { name: '/p/clusters/half/endpoints', type: 'StringList', value: 'tcp://a:2376' },
  ]);
});
afterAll(() => ssm.close());

describe('SsmParameters (real SDK client, local SSM stand-in)', () => {
  it('reads the Slack secrets and the policy in one GetParameters call, then serves them from cache', async () => {
    const p = new SsmParameters(client(), '/p');
    expect(await p.slackSecrets()).toEqual({ signingSecret: 'sig', botToken: 'tok', botUserId: 'U0BOT' });
    expect((await p.policy()).defaultCluster).toBe('prod');
    await p.slackSecrets();
    expect(p.calls).toBe(1);
    expect(ssm.calls.at(-1)).toMatchObject({ target: 'GetParameters', input: { WithDecryption: true } });
  });

  it('refetches after the cache lifetime', async () => {
    let now = 0;
    const p = new SsmParameters(client(), '/p', { ttlMs: 1000, clock: { now: () => new Date(now) } });
    await p.policy();
    now = 999;
    await p.policy();
    now = 1001;
    await p.policy();
    expect(p.calls).toBe(2);
  });

  it('reads a cluster by path across pages, with decryption, and forgets it on invalidate', async () => {
    const p = new SsmParameters(client(), '/p');
    const creds = await p.clusterCredentials('prod');
    expect(creds).toEqual({ endpoints: ['tcp://a:2376', 'tcp://b:2376'], ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(p.calls).toBe(2);
    await p.clusterCredentials('prod');
    expect(p.calls).toBe(2);
    p.invalidate('prod');
    await p.clusterCredentials('prod');
    expect(p.calls).toBe(4);
  });

  it('names what is missing', async () => {
    const p = new SsmParameters(client(), '/p');
    await expect(p.clusterCredentials('nowhere')).rejects.toThrow(UnknownClusterError);
    await expect(p.clusterCredentials('half')).rejects.toThrow(/missing SSM parameter\(s\): \/p\/clusters\/half\/ca/);
    await expect(new SsmParameters(client(), '/q').policy()).rejects.toThrow(ConfigError);
  });

  it('serves the last values when SSM fails, if asked to (the ingress), and only then', async () => {
    let now = 0;
    const clock = { now: () => new Date(now) };
    const stale = new SsmParameters(client(), '/p', { ttlMs: 1000, clock, staleOnError: true });
    const strict = new SsmParameters(client(), '/p', { ttlMs: 1000, clock });
    await stale.policy();
    await strict.policy();
    const broken = new SSMClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
    (stale as unknown as { ssm: SSMClient }).ssm = broken;
    (strict as unknown as { ssm: SSMClient }).ssm = broken;
    now = 5000;
    expect((await stale.policy()).defaultCluster).toBe('prod');
    await expect(strict.policy()).rejects.toThrow();
  });

  it('a bad policy is a clear error', async () => {
    ssm.put({ name: '/r/policy', type: 'String', value: '{"defaultCluster":"prod"}' });
    await expect(new SsmParameters(client(), '/r').policy()).rejects.toThrow(/The policy parameter is invalid: auditChannel: Required/);
  });
});
