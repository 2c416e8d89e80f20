import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SsmParameters } from '../../../src/adapters/aws/ssm-parameters.js';
import { ConfigError, UnknownClusterError } from '../../../src/errors.js';
import { startSsmStandIn } from '../../support/stand-ins.js';

let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
/** one attempt only: the failure tests should not sit through the SDK's back-off */
const client = () =>
  new SSMClient({ region: 'eu-west-1', endpoint: ssm.url, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
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
    // more under the cluster's path that a read of its credentials must leave alone
    ...Array.from({ length: 9 }, (_, i) => ({ name: `/p/clusters/prod/extra/${i}`, type: 'String' as const, value: 'x' })),
    { name: '/p/clusters/half/endpoints', type: 'StringList', value: 'tcp://a:2376' },
    ...Array.from({ length: 12 }, (_, i) => ({ name: `/p/many/${i}`, type: 'String' as const, value: `v${i}` })),
  ]);
});
afterEach(() => ssm.failWith(undefined));
afterAll(() => ssm.close());

/** the message of what `p` rejected with, checked to be a ConfigError */
async function configError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const message = (err as ConfigError).message;
  // what an operator reads: one line, no stack trace, no SDK internals
  expect(message).not.toMatch(/\n\s+at /);
  expect(message).not.toContain('node_modules');
  return message;
}

describe('SsmParameters (Powertools Parameters, real SDK client, local SSM stand-in)', () => {
  it('reads the Slack secrets and the policy in one GetParameters call, then serves them from cache', async () => {
    const p = new SsmParameters(client(), '/p');
    expect(await p.slackSecrets()).toEqual({ signingSecret: 'sig', botToken: 'tok', botUserId: 'U0BOT' });
    expect((await p.policy()).defaultCluster).toBe('prod');
    await p.slackSecrets();
    expect(p.calls).toBe(1);
    expect(ssm.calls.at(-1)).toMatchObject({ target: 'GetParameters', input: { WithDecryption: true } });
    expect((ssm.calls.at(-1)!.input['Names'] as string[]).sort()).toEqual(['/p/policy', '/p/slack/bot-token', '/p/slack/bot-user-id', '/p/slack/signing-secret']);
  });

  it('reads the bot token alone (never the signing secret) in one GetParameters call, cached like the rest', async () => {
    const p = new SsmParameters(client(), '/p');
    const before = ssm.calls.length;
    expect(await p.botToken()).toBe('tok');
    expect(await p.botToken()).toBe('tok');
    expect(p.calls).toBe(1);
    expect(ssm.calls.slice(before)).toEqual([expect.objectContaining({ target: 'GetParameters', input: expect.objectContaining({ Names: ['/p/slack/bot-token'], WithDecryption: true }) })]);
    // the worker asks for the rest later: the token is not fetched again
    await p.slackSecrets();
    expect(p.calls).toBe(2);
    expect((ssm.calls.at(-1)!.input['Names'] as string[]).sort()).toEqual(['/p/policy', '/p/slack/bot-user-id', '/p/slack/signing-secret']);
    // a missing token names itself and nothing else
    const missing = await configError(new SsmParameters(client(), '/q').botToken());
    expect(missing).toContain('/q/slack/bot-token');
    expect(missing).not.toContain('signing-secret');
  });

  it('fetches more than 10 names in batches of 10, and only those not cached', async () => {
    const p = new SsmParameters(client(), '/p');
    const names = Array.from({ length: 12 }, (_, i) => `many/${i}`);
    const v = await p.get(names);
    expect(v['many/11']).toBe('v11');
    expect(p.calls).toBe(2);
    await p.get(names);
    expect(p.calls).toBe(2);
    await p.get(['many/0', 'policy']);
    expect(p.calls).toBe(3);
    expect(ssm.calls.at(-1)!.input['Names']).toEqual(['/p/policy']);
  });

  it('refetches after the cache lifetime, by the clock it was given', async () => {
    let now = 0;
    const p = new SsmParameters(client(), '/p', { ttlMs: 1000, clock: { now: () => new Date(now) } });
    await p.policy();
    now = 999;
    await p.policy();
    now = 1001;
    await p.policy();
    expect(p.calls).toBe(2);
  });

  it('parses the policy once per value', async () => {
    let now = 0;
    const p = new SsmParameters(client(), '/p', { ttlMs: 1000, clock: { now: () => new Date(now) } });
    const first = await p.policy();
    now = 5000;
    expect(await p.policy()).toBe(first);
    expect(p.calls).toBe(2);
  });

  it('reads a cluster by its four names (not by path: the rest under it stays unread), with decryption, and after invalidate goes to SSM once', async () => {
    const p = new SsmParameters(client(), '/p');
    const creds = await p.clusterCredentials('prod');
    expect(creds).toEqual({ endpoints: ['tcp://a:2376', 'tcp://b:2376'], ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(p.calls).toBe(1);
    expect(ssm.calls.at(-1)).toMatchObject({ target: 'GetParameters', input: { WithDecryption: true } });
    expect((ssm.calls.at(-1)!.input['Names'] as string[]).sort()).toEqual(['/p/clusters/prod/ca', '/p/clusters/prod/cert', '/p/clusters/prod/endpoints', '/p/clusters/prod/key']);
    await p.clusterCredentials('prod');
    expect(p.calls).toBe(1);
    p.invalidate('prod');
    await p.clusterCredentials('prod');
    expect(p.calls).toBe(2);
    await p.clusterCredentials('prod');
    expect(p.calls).toBe(2);
  });

  it('names what is missing, in full', async () => {
    const p = new SsmParameters(client(), '/p');
    await expect(p.clusterCredentials('nowhere')).rejects.toThrow(UnknownClusterError);
    const half = await configError(p.clusterCredentials('half'));
    expect(half).toMatch(/missing SSM parameter\(s\): \/p\/clusters\/half\/ca, \/p\/clusters\/half\/cert, \/p\/clusters\/half\/key/);
    const policy = await configError(new SsmParameters(client(), '/q').policy());
    expect(policy).toContain('/q/policy');
    expect(policy).toMatch(/does not exist\. Create it/);
    const secrets = await configError(new SsmParameters(client(), '/q').slackSecrets());
    expect(secrets).toContain('/q/slack/signing-secret');
    expect(secrets).toContain('/q/policy');
  });

  it.each([
    ['ThrottlingException', /SSM is throttling requests \(ThrottlingException\).*\/p\/policy.*Try again in a moment/],
    ['AccessDeniedException', /Access denied to SSM parameter \/p\/policy \(AccessDeniedException\)\. Give this function's role ssm:GetParameters.*kms:Decrypt/],
    ['InternalServerError', /Could not read SSM parameter \/p\/policy \(InternalServerError: .*\)\. Check that SSM is reachable/],
  ])('%s reading the policy is a ConfigError naming the parameter and what to do', async (type, expected) => {
    ssm.failWith({ type, message: 'User: arn:aws:sts::0:assumed-role/x is not authorized', status: type === 'InternalServerError' ? 500 : 400 });
    const message = await configError(new SsmParameters(client(), '/p').policy());
    expect(message).toMatch(expected);
  });

  it('a failure reading a cluster names its parameters', async () => {
    ssm.failWith({ type: 'ThrottlingException', targets: ['GetParameters'] });
    expect(await configError(new SsmParameters(client(), '/p').clusterCredentials('prod'))).toMatch(/throttling.*\/p\/clusters\/prod\/endpoints/);
    ssm.failWith({ type: 'AccessDeniedException', targets: ['GetParameters'] });
    expect(await configError(new SsmParameters(client(), '/p').clusterCredentials('prod'))).toMatch(/Access denied to SSM parameters \/p\/clusters\/prod\/endpoints.*ssm:GetParameters/);
  });

  it('an unreachable SSM is a ConfigError too', async () => {
    const broken = new SSMClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
    const message = await configError(new SsmParameters(broken, '/p').policy());
    expect(message).toMatch(/Could not read SSM parameter \/p\/policy/);
  });

  it('serves the last values when SSM fails, if asked to (the ingress), and only then', async () => {
    let now = 0;
    const clock = { now: () => new Date(now) };
    const stale = new SsmParameters(client(), '/p', { ttlMs: 1000, clock, staleOnError: true });
    const strict = new SsmParameters(client(), '/p', { ttlMs: 1000, clock });
    await stale.policy();
    await strict.policy();
    ssm.failWith({ type: 'ThrottlingException' });
    now = 5000;
    expect((await stale.policy()).defaultCluster).toBe('prod');
    await expect(strict.policy()).rejects.toThrow(ConfigError);
    // nothing to fall back on: the error
    await expect(stale.slackSecrets()).rejects.toThrow(/throttling/);
  });

  it('a bad policy is a clear error naming the parameter', async () => {
    ssm.put({ name: '/r/policy', type: 'String', value: '{"defaultCluster":"prod"}' });
    const invalid = await configError(new SsmParameters(client(), '/r').policy());
    expect(invalid).toMatch(/The policy parameter is invalid: auditChannel: Required/);
    expect(invalid).toContain('/r/policy');
    ssm.put({ name: '/s/policy', type: 'String', value: '{"defaultCluster": prod' });
    const notJson = await configError(new SsmParameters(client(), '/s').policy());
    expect(notJson).toMatch(/not valid JSON/);
    expect(notJson).toContain('/s/policy');
  });

  it('writes a SecureString, replacing the old value, and reads the new one back', async () => {
    const p = new SsmParameters(client(), '/p');
    await p.putSecureString('clusters/prod/unlock-key', 'SWMKEY-1-old');
    expect(await p.get(['clusters/prod/unlock-key'])).toEqual({ 'clusters/prod/unlock-key': 'SWMKEY-1-old' });
    await p.putSecureString('clusters/prod/unlock-key', 'SWMKEY-1-new');
    expect(ssm.calls.at(-1)).toMatchObject({
      target: 'PutParameter',
      input: { Name: '/p/clusters/prod/unlock-key', Value: 'SWMKEY-1-new', Type: 'SecureString', Overwrite: true },
    });
    expect(ssm.read('/p/clusters/prod/unlock-key')).toEqual({ name: '/p/clusters/prod/unlock-key', type: 'SecureString', value: 'SWMKEY-1-new' });
    expect(await p.get(['clusters/prod/unlock-key'])).toEqual({ 'clusters/prod/unlock-key': 'SWMKEY-1-new' });
    ssm.remove('/p/clusters/prod/unlock-key');
  });

  it('a refused write names the parameter and the permission', async () => {
    ssm.failWith({ type: 'AccessDeniedException', targets: ['PutParameter'] });
    const message = await configError(new SsmParameters(client(), '/p').putSecureString('clusters/prod/unlock-key', 'SWMKEY-1-x'));
    expect(message).toMatch(/Access denied to SSM parameter \/p\/clusters\/prod\/unlock-key \(AccessDeniedException\)\. Give this function's role ssm:PutParameter/);
    expect(message).not.toContain('SWMKEY');
  });
});
