/**
 * Packages the service offline with the osls CLI, as an operator would, and
 * reads what it produced: the CloudFormation template and the three zips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../src/adapters/state-table.js';
import { slashCommandEvent } from './support/slack-requests.js';
import { startLambdaStandIn, startSsmStandIn } from './support/stand-ins.js';

let dir = '';
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

const zipEntries = (name: string) =>
  execFileSync('unzip', ['-Z1', path.join(dir, `${name}.zip`)], { encoding: 'utf8' }).split('\n').filter(Boolean);
const zipFile = (name: string, entry: string) => execFileSync('unzip', ['-p', path.join(dir, `${name}.zip`), entry], { encoding: 'utf8', maxBuffer: 64 << 20 });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-package-'));
  execFileSync('npx', ['serverless', 'package', '--stage', 'prod', '--region', 'eu-west-1', '--package', dir], {
    cwd: path.resolve(import.meta.dirname, '..'),
    stdio: 'pipe',
    timeout: 240_000,
    // no AWS account, no credentials: packaging must not need them
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-such' },
  });
  template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const flat = (v: unknown) => JSON.stringify(v);

describe('npx serverless package (offline)', () => {
  it('builds the contract\'s three functions (and the approval sweep) on nodejs22.x with their handlers', () => {
    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    expect(Object.keys(fns).sort()).toEqual(['RotateLambdaFunction', 'SlackLambdaFunction', 'SweepLambdaFunction', 'WorkerLambdaFunction']);
    for (const [name, p] of Object.entries(fns)) {
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Handler).toBe(`src/handlers/${name.replace('LambdaFunction', '').toLowerCase()}.handler`);
    }
  });

  it('gives the worker (and the scheduled rotation) no retries', () => {
    const configs = Object.fromEntries(resources('AWS::Lambda::EventInvokeConfig').map(([k, r]) => [k, r.Properties]));
    expect(configs['WorkerLambdaEvConf']?.MaximumRetryAttempts).toBe(0);
    expect(configs['RotateLambdaEvConf']?.MaximumRetryAttempts).toBe(0);
    expect(configs['SweepLambdaEvConf']?.MaximumRetryAttempts).toBe(0);
  });

  it('routes POST /slack/events to the slack function and schedules rotate', () => {
    expect(flat(resources('AWS::ApiGatewayV2::Route'))).toContain('POST /slack/events');
    expect(resources('AWS::Events::Rule').length).toBe(2);
  });

  it('grants least privilege: SSM under the prefix, KMS via SSM only, invoke of the worker only, by the ingress only', () => {
    const roles = Object.fromEntries(resources('AWS::IAM::Role'));
    const statementsOf = (role: string) =>
      (roles[role]!.Properties.Policies as Array<{ PolicyDocument: { Statement: any[] } }>)
        .flatMap((p) => p.PolicyDocument.Statement)
        .filter((s) => !flat(s.Action).includes('logs:'));
    const actionsOf = (role: string) => statementsOf(role).flatMap((s) => [s.Action].flat()).sort();
    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    const roleOf = (fn: string) => fns[fn]!.Role['Fn::GetAtt'][0] as string;
    expect(roleOf('WorkerLambdaFunction')).toBe(roleOf('RotateLambdaFunction'));
    expect(roleOf('WorkerLambdaFunction')).toBe(roleOf('SweepLambdaFunction'));
    expect(roleOf('SlackLambdaFunction')).not.toBe(roleOf('WorkerLambdaFunction'));

    // worker, rotate and sweep: the service's parameters and KMS through SSM, the state table, and no invoking anything
    const worker = roleOf('WorkerLambdaFunction');
    expect(actionsOf(worker)).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:GetParametersByPath',
    ]);
    const ssm = statementsOf(worker).find((s) => flat(s.Action).includes('ssm:'))!;
    expect(flat(ssm.Resource)).toContain('parameter/swarm-ops/prod"');
    expect(flat(ssm.Resource)).toContain('parameter/swarm-ops/prod/*');
    expect(flat(ssm.Resource)).not.toMatch(/"\*"/);

    // the ingress: Slack secrets and policy only (never the clusters' keys), KMS through SSM, invoke of the worker only
    const slack = roleOf('SlackLambdaFunction');
    expect(actionsOf(slack)).toEqual(['kms:Decrypt', 'lambda:InvokeFunction', 'ssm:GetParameter', 'ssm:GetParameters']);
    const slackSsm = flat(statementsOf(slack).find((s) => flat(s.Action).includes('ssm:'))!.Resource);
    expect(slackSsm).toContain('parameter/swarm-ops/prod/slack/*');
    expect(slackSsm).toContain('parameter/swarm-ops/prod/policy');
    expect(slackSsm).not.toContain('clusters');
    const invoke = statementsOf(slack).find((s) => flat(s.Action).includes('lambda:'))!;
    expect(flat(invoke.Resource)).toContain('swarm-ops-prod-worker');

    for (const role of [worker, slack]) {
      for (const st of statementsOf(role)) expect(st.Effect).toBe('Allow');
      const kms = statementsOf(role).find((s) => flat(s.Action).includes('kms:'))!;
      expect(flat(kms.Condition)).toContain('kms:ViaService');
    }
  });

  it('keeps the bot\'s state in one table (on demand, PITR, TTL on expiresAt, deletion protection off on dev only) that only worker, rotate and sweep reach', () => {
    const tables = resources('AWS::DynamoDB::Table');
    expect(tables.map(([k]) => k)).toEqual(['StateTable']);
    const table = template.Resources['StateTable']!.Properties;
    // the deployed properties are infra/state-table.json, the file the code's local table is made from
    expect(table).toEqual({ ...tableDefinition(), TableName: 'swarm-ops-prod-state', DeletionProtectionEnabled: true });
    expect(table['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(table['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiresAt', Enabled: true });

    // dev: the same table without deletion protection (resolved offline, without another build)
    const dev = JSON.parse(
      execFileSync('npx', ['serverless', 'print', '--stage', 'dev', '--region', 'eu-west-1', '--format', 'json', '--path', 'resources.Resources.StateTable'], {
        cwd: path.resolve(import.meta.dirname, '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-such' },
      }),
    );
    expect(dev.Properties).toEqual({ ...tableDefinition(), TableName: 'swarm-ops-dev-state', DeletionProtectionEnabled: false });

    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    for (const fn of ['WorkerLambdaFunction', 'RotateLambdaFunction', 'SweepLambdaFunction']) {
      expect(fns[fn]!.Environment.Variables.STATE_TABLE).toBe('swarm-ops-prod-state');
    }
    expect(fns['SlackLambdaFunction']!.Environment.Variables.STATE_TABLE).toBeUndefined();

    // the shared role: one statement, the item-level actions, on this table and its indexes only
    const roles = Object.fromEntries(resources('AWS::IAM::Role'));
    const roleOf = (fn: string) => fns[fn]!.Role['Fn::GetAtt'][0] as string;
    const statementsOf = (role: string) =>
      (roles[role]!.Properties.Policies as Array<{ PolicyDocument: { Statement: any[] } }>).flatMap((p) => p.PolicyDocument.Statement);
    const dynamo = statementsOf(roleOf('WorkerLambdaFunction')).filter((s) => flat(s.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem']),
        Resource: [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }, { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }, 'index', '*']] }],
      },
    ]);
    expect(dynamo[0].Action).toHaveLength(6);
    // no scan, no wildcard action, no table administration, anywhere
    expect(flat(template.Resources)).not.toMatch(/dynamodb:(Scan|\*|CreateTable|DeleteTable|UpdateTable)/);
    // the ingress: nothing of DynamoDB at all
    expect(flat(roles[roleOf('SlackLambdaFunction')])).not.toContain('dynamodb');
  });

  it('bundles each function on its own: handler exported, no native modules, slack without Docker or renderers', () => {
    for (const fn of ['slack', 'worker', 'rotate', 'sweep']) {
      const entries = zipEntries(fn);
      expect(entries).toContain(`src/handlers/${fn}.js`);
      expect(entries.filter((e) => e.endsWith('.node'))).toEqual([]);
      expect(entries.some((e) => /node_modules\/(ssh2|cpu-features)\//.test(e))).toBe(false);
      expect(zipFile(fn, `src/handlers/${fn}.js`)).toMatch(/handler/);
    }
    // each bundle loads on its own (nothing left outside it) and exports a two-argument handler
    for (const fn of ['slack', 'worker', 'rotate', 'sweep']) {
      const out = path.join(dir, `unzipped-${fn}`);
      execFileSync('unzip', ['-qo', path.join(dir, `${fn}.zip`), '-d', out]);
      const loaded = execFileSync(
        process.execPath,
        ['-e', `const m = require(${JSON.stringify(path.join(out, `src/handlers/${fn}.js`))}); console.log(typeof m.handler, m.handler.length)`],
        {
          encoding: 'utf8',
          env: { ...process.env, SSM_PREFIX: '/swarm-ops/prod', WORKER_FUNCTION_NAME: 'swarm-ops-prod-worker', STATE_TABLE: 'swarm-ops-prod-state', AWS_REGION: 'eu-west-1' },
        },
      );
      expect(loaded.trim()).toBe('function 2');
    }
    const slackMap = zipFile('slack', 'src/handlers/slack.js.map');
    expect(slackMap).not.toContain('node_modules/dockerode/');
    expect(slackMap).not.toContain('node_modules/docker-modem/');
    expect(slackMap).not.toContain('src/render/block-kit.ts');
    // the ingress may not touch the state table, so it carries no DynamoDB client; the local stand-in stays out of every bundle
    expect(slackMap).not.toContain('node_modules/@aws-sdk/client-dynamodb/');
    for (const fn of ['slack', 'worker', 'rotate', 'sweep']) expect(zipFile(fn, `src/handlers/${fn}.js.map`)).not.toMatch(/node_modules\/(dynalite|memory-level|classic-level)\//);
    expect(zipFile('worker', 'src/handlers/worker.js.map')).toContain('node_modules/dockerode/');
  });

  it('the packaged slack handler verifies, acknowledges and hands the job to the worker', async () => {
    const ssm = await startSsmStandIn([
      { name: '/swarm-ops/pkg/slack/signing-secret', type: 'SecureString', value: 'pkg-secret' },
      { name: '/swarm-ops/pkg/slack/bot-token', type: 'SecureString', value: 'xoxb-pkg' },
      { name: '/swarm-ops/pkg/slack/bot-user-id', type: 'String', value: 'U0BOT' },
      { name: '/swarm-ops/pkg/policy', type: 'String', value: JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: [], approver: [] } }) },
    ]);
    const lambda = await startLambdaStandIn();
    try {
      Object.assign(process.env, {
        SSM_PREFIX: '/swarm-ops/pkg',
        WORKER_FUNCTION_NAME: 'swarm-ops-pkg-worker',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'pkg',
        AWS_SECRET_ACCESS_KEY: 'pkg',
        AWS_ENDPOINT_URL_SSM: ssm.url,
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      });
      const out = path.join(dir, 'unzipped-slack');
      execFileSync('unzip', ['-qo', path.join(dir, 'slack.zip'), '-d', out]);
      const { handler } = createRequire(import.meta.url)(path.join(out, 'src/handlers/slack.js')) as {
        handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }>;
      };
      const res = await handler(slashCommandEvent({ text: 'status', secret: 'pkg-secret', responseUrl: 'https://hooks.slack.test/r/1' }), {});
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Working on `\/swarm status` for `prod`/) });
      expect(lambda.invocations).toEqual([
        expect.objectContaining({ functionName: 'swarm-ops-pkg-worker', invocationType: 'Event', payload: expect.objectContaining({ kind: 'command', command: 'status' }) }),
      ]);
      const forged = await handler(slashCommandEvent({ text: 'status', secret: 'pkg-secret', forgeWith: 'x', responseUrl: 'https://hooks.slack.test/r/2' }), {});
      expect(forged.statusCode).toBe(401);
      expect(lambda.invocations.length).toBe(1);
    } finally {
      await Promise.all([ssm.close(), lambda.close()]);
    }
  });
});
