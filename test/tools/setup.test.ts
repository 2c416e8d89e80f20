/**
 * `npm run setup`: the folder is checked, the plan shown, SSM written only
 * with --apply — against the SSM stand-in, through the real AWS SDK client.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setup } from '../../src/tools/setup.js';
import { makeTls, type TlsFixture } from '../support/tls-fixture.js';
import { startSsmStandIn } from '../support/stand-ins.js';

const policy = {
  defaultCluster: 'prod',
  auditChannel: 'C0AUDIT',
  channels: { C0PRODOPS: 'prod' },
  roles: { viewer: [], operator: ['U0OPS'], approver: ['U0APPROVE', 'U0LEAD'] },
  clusters: { prod: { rotate: ['worker'], allowChannels: ['C0PRODOPS'] } },
};
const SECRET = '8f2c1d0e9b7a6c5d4e3f2a1b0c9d8e7f';
const TOKEN = 'xoxb-1111-2222-abcdefghijklmnop';

describe('npm run setup', () => {
  let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
  let tls: TlsFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const file = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  async function run(...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await setup(['--stage', 'prod', '--from', dir, ...args], { write: (t) => (out += t), env, colors: false });
    return { code, out };
  }

  const saved = { ...process.env };
  beforeAll(async () => {
    ssm = await startSsmStandIn([{ name: '/swarm-ops/prod/slack/bot-user-id', type: 'String', value: 'U0BOT' }]);
    tls = makeTls();
  });
  afterAll(async () => {
    process.env = saved;
    await ssm.close();
    rmSync(tls.dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'swarm-ops-setup-'));
    file('policy.json', JSON.stringify(policy, null, 2));
    file('slack/signing-secret', `${SECRET}\n`);
    file('slack/bot-token', `${TOKEN}\n`);
    file('slack/bot-user-id', 'U0BOT\n');
    file('clusters/prod/endpoints', 'tcp://10.0.1.10:2376\ntcp://10.0.1.11:2376\n');
    file('clusters/prod/ca.pem', tls.ca);
    file('clusters/prod/cert.pem', tls.client.cert);
    file('clusters/prod/key.pem', tls.client.key);
    // the SDK's own settings: the endpoint override is how the stand-in is reached
    env = { ...process.env, AWS_REGION: 'eu-west-1' };
    Object.assign(process.env, { AWS_ENDPOINT_URL_SSM: ssm.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    ssm.calls.length = 0;
  });

  it('the dry run shows names, types and what would change, never a secret, and puts nothing', async () => {
    const { code, out } = await run();
    expect(code).toBe(0);
    expect(out).toContain('Would put 8 parameters into SSM (eu-west-1) under /swarm-ops/prod:');
    expect(out).toMatch(/\/swarm-ops\/prod\/policy +String +new +from policy\.json/);
    expect(out).toMatch(/\/swarm-ops\/prod\/slack\/signing-secret +SecureString +new/);
    expect(out).toMatch(/\/swarm-ops\/prod\/slack\/bot-user-id +String +unchanged/);
    expect(out).toMatch(/\/swarm-ops\/prod\/clusters\/prod\/endpoints +StringList +new +from clusters\/prod\/endpoints/);
    expect(out).toMatch(/\/swarm-ops\/prod\/clusters\/prod\/key +SecureString +new +from clusters\/prod\/key\.pem/);
    expect(out).toContain('Nothing was put. Run it again with --apply to put 7 of them.');
    // the client certificate of the fixture lives two days
    expect(out).toMatch(/▲ clusters\/prod\/cert\.pem expires (in 1 day|within a day) \(/);
    for (const secret of [SECRET, TOKEN, 'PRIVATE KEY', 'BEGIN CERTIFICATE']) expect(out).not.toContain(secret);
    expect(ssm.calls.map((c) => c.target)).toEqual(['GetParameters']);
  });

  it('--apply puts what changed, with its type, and a second run finds everything in place', async () => {
    const first = await run('--apply', '--kms-key-id', 'alias/swarm-ops');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/✔ Put 7 parameters \(1 unchanged\)\. The functions read them within a minute \(not deployed yet\? npx serverless deploy --stage prod\); then type \/swarm status in the ops channel\./);
    expect(ssm.read('/swarm-ops/prod/clusters/prod/endpoints')).toEqual({ name: '/swarm-ops/prod/clusters/prod/endpoints', type: 'StringList', value: 'tcp://10.0.1.10:2376,tcp://10.0.1.11:2376' });
    expect(ssm.read('/swarm-ops/prod/clusters/prod/key')).toMatchObject({ type: 'SecureString', value: tls.client.key });
    expect(ssm.read('/swarm-ops/prod/slack/bot-token')).toMatchObject({ type: 'SecureString', value: TOKEN });
    expect(JSON.parse(ssm.read('/swarm-ops/prod/policy')!.value)).toEqual(policy);
    const put = ssm.calls.filter((c) => c.target === 'PutParameter').map((c) => c.input);
    expect(put.find((p) => p['Name'] === '/swarm-ops/prod/clusters/prod/ca')).toMatchObject({ Type: 'SecureString', Overwrite: true, KeyId: 'alias/swarm-ops' });
    expect(put.find((p) => p['Name'] === '/swarm-ops/prod/policy')).not.toHaveProperty('KeyId');

    file('policy.json', JSON.stringify({ ...policy, approvalTtlMinutes: 30 }));
    const again = await run();
    expect(again.out).toMatch(/\/swarm-ops\/prod\/policy +String +changed/);
    expect(again.out).toMatch(/\/swarm-ops\/prod\/clusters\/prod\/ca +SecureString +unchanged/);
    expect(again.out).toContain('to put 1 of them');
  });

  it('a broken folder is refused with what to fix, and nothing reaches SSM', async () => {
    file('policy.json', JSON.stringify({ ...policy, channels: { C0PRODOPS: 'prod', C0STAGING: 'staging' }, approvalTtlMinutes: '15' }));
    file('slack/bot-token', 'xoxp-a-user-token');
    file('clusters/prod/endpoints', 'tcp://10.0.1.10:2376\n10.0.1.11\n');
    file('clusters/prod/key.pem', makeTls().client.key);
    rmSync(path.join(dir, 'slack/bot-user-id'));
    const { code, out } = await run('--apply');
    expect(code).toBe(1);
    expect(out).toContain('✖ policy.json: approvalTtlMinutes is a string ("15"), but it must be a number: type 15, without the quotes.');
    expect(out).toContain('✖ slack/bot-token does not look right: it should hold the Bot User OAuth Token (xoxb-…)');
    expect(out).toContain('✖ slack/bot-user-id is missing or empty: put the bot\'s member ID (U…)');
    expect(out).toContain('✖ clusters/prod/endpoints: 10.0.1.11 is not a Docker API URL. Type it as tcp://HOST:PORT');
    expect(out).toContain('✖ clusters/prod/key.pem is not the key of clusters/prod/cert.pem');
    expect(out).toMatch(/5 problems to fix first; nothing was put into SSM\./);
    expect(ssm.calls).toEqual([]);

    file('policy.json', JSON.stringify({ ...policy, channels: { C0PRODOPS: 'prod', C0STAGING: 'staging' } }));
    file('slack/bot-token', TOKEN);
    file('slack/bot-user-id', 'U0BOT');
    file('clusters/prod/endpoints', 'tcp://10.0.1.10:2376');
    file('clusters/prod/key.pem', tls.client.key);
    file('clusters/prod/ca.pem', makeTls().ca);
    const other = await run();
    expect(other.out).toContain('✖ The policy knows cluster staging, but there is no clusters/staging/ (endpoints, ca.pem, cert.pem, key.pem)');
    expect(other.out).toContain('✖ clusters/prod/cert.pem was not signed by clusters/prod/ca.pem');
  });

  it('without --stage or --from it says how to call it', async () => {
    let out = '';
    expect(await setup(['--from', dir], { write: (t) => (out += t), env })).toBe(2);
    expect(out).toMatch(/^Usage: npm run setup -- --stage STAGE --from DIR \[--apply\]/);
  });
});
