/**
 * The ingress's own AWS calls: signatures identical to the AWS SDK's signer,
 * and the SSM and Lambda calls against the stand-ins the SDK is tested with.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsLite, signV4 } from '../../src/adapters/aws-lite.js';
import { LambdaEventQueue, SsmSlackParameters } from '../../src/adapters/ingress-aws.js';
import { startLambdaStandIn, startSsmStandIn } from '../support/stand-ins.js';

/** node:crypto in the shape the SDK's signer takes (an HMAC when given a secret) */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

describe('signV4', () => {
  it.each([
    ['ssm', '/', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' }, undefined],
    ['lambda', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Aw/invocations', { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' }, 'FwoGZXIvYXdzE//session'],
  ])('signs a %s request exactly as the AWS SDK does', async (service, path, headers, sessionToken) => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', ...(sessionToken ? { sessionToken } : {}) };
    const now = new Date('2026-11-21T10:11:12.345Z');
    const body = JSON.stringify({ Names: ['/swarm-ops/prod/policy'], WithDecryption: true });
    const ours = signV4({ method: 'POST', host: `${service}.eu-west-1.amazonaws.com`, path, headers, body }, { service, region: 'eu-west-1', credentials, now });
    const sdk = new SignatureV4({ service, region: 'eu-west-1', credentials, sha256: NodeSha256 as never, uriEscapePath: true, applyChecksum: false });
    const theirs = await sdk.sign(
      { method: 'POST', protocol: 'https:', hostname: `${service}.eu-west-1.amazonaws.com`, path, query: {}, headers: { ...headers, host: `${service}.eu-west-1.amazonaws.com` }, body } as never,
      { signingDate: now },
    );
    expect(ours.headers['authorization']).toBe((theirs as unknown as { headers: Record<string, string> }).headers['authorization']);
  });
});

describe('the ingress against the SSM and Lambda stand-ins', () => {
  const env = (over: Record<string, string>) => ({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', ...over });
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((c) => c()));
  });

  async function ssm() {
    const s = await startSsmStandIn([
      { name: '/p/slack/signing-secret', type: 'SecureString', value: 'sig' },
      { name: '/p/slack/bot-token', type: 'SecureString', value: 'xoxb-1' },
      { name: '/p/slack/bot-user-id', type: 'String', value: 'U0BOT' },
      { name: '/p/policy', type: 'String', value: JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }) },
    ]);
    closing.push(s.close);
    return s;
  }

  it('reads the Slack secrets and the policy in one call, shared by requests that arrive together, kept 60 s', async () => {
    const s = await ssm();
    let now = Date.now();
    const params = new SsmSlackParameters(new AwsLite({ service: 'ssm', env: env({ AWS_ENDPOINT_URL_SSM: s.url }) }), '/p', { clock: { now: () => new Date(now) } });
    const [a, b, policy] = await Promise.all([params.slackSecrets(), params.slackSecrets(), params.policy()]);
    expect(a).toEqual({ signingSecret: 'sig', botToken: 'xoxb-1', botUserId: 'U0BOT' });
    expect(b).toEqual(a);
    expect(policy.defaultCluster).toBe('prod');
    expect(s.calls).toEqual([{ target: 'GetParameters', input: { Names: ['/p/slack/signing-secret', '/p/slack/bot-token', '/p/slack/bot-user-id', '/p/policy'], WithDecryption: true } }]);
    now += 61_000;
    await params.policy();
    expect(s.calls).toHaveLength(2);
  });

  it('answers with the last values when SSM fails, and names missing parameters when there are none', async () => {
    const s = await ssm();
    let now = Date.now();
    const params = new SsmSlackParameters(new AwsLite({ service: 'ssm', env: env({ AWS_ENDPOINT_URL_SSM: s.url }) }), '/p', { clock: { now: () => new Date(now) } });
    await params.slackSecrets();
    s.failWith({ type: 'ThrottlingException' });
    now += 61_000;
    expect((await params.slackSecrets()).signingSecret).toBe('sig');
    // throttling is tried twice before the stale values answer
    expect(s.calls.filter((c) => c.target === 'GetParameters')).toHaveLength(3);
    s.failWith(undefined);
    s.remove('/p/policy');
    const fresh = new SsmSlackParameters(new AwsLite({ service: 'ssm', env: env({ AWS_ENDPOINT_URL_SSM: s.url }) }), '/p');
    await expect(fresh.policy()).rejects.toThrow(/SSM parameter \/p\/policy does not exist/);
    s.failWith({ type: 'AccessDeniedException', status: 400 });
    const denied = new SsmSlackParameters(new AwsLite({ service: 'ssm', env: env({ AWS_ENDPOINT_URL_SSM: s.url }) }), '/p');
    await expect(denied.policy()).rejects.toThrow(/Access denied to SSM parameters .*\(AccessDeniedException\)/);
  });

  it('hands a job to the worker with an asynchronous invoke', async () => {
    const lambda = await startLambdaStandIn();
    closing.push(lambda.close);
    const queue = new LambdaEventQueue(new AwsLite({ service: 'lambda', env: env({ AWS_ENDPOINT_URL_LAMBDA: lambda.url }) }), 'swarm-ops-dev-worker');
    await queue.enqueue({ kind: 'audit', n: 1 });
    expect(lambda.invocations).toEqual([{ functionName: 'swarm-ops-dev-worker', invocationType: 'Event', payload: { kind: 'audit', n: 1 } }]);
  });

  it('says what is missing without credentials, and gives up on an endpoint that does not answer', async () => {
    const noCreds = new AwsLite({ service: 'ssm', env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9' } });
    await expect(noCreds.post('/', {}, {})).rejects.toThrow(/No AWS credentials in the environment/);
    const dead = new AwsLite({ service: 'ssm', env: env({ AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9' }), timeoutMs: 300 });
    await expect(dead.post('/', {}, {})).rejects.toThrow(/ECONNREFUSED/);
    expect(dead.calls).toBe(2);
  });
});
