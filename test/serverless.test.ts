/**
 * Packages the service offline with the osls CLI, as an operator would, and
 * reads what it produced: the CloudFormation template and the three zips.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../src/adapters/aws/state-table.js';
import { slashCommandEvent } from './support/slack-requests.js';
import { startLambdaStandIn, startSsmStandIn } from './support/stand-ins.js';

let dir = '';

/** what the packaged slack handler reads from SSM, under /swarm-ops/pkg */
const packagedParameters = () =>
  startSsmStandIn([
    { name: '/swarm-ops/pkg/slack/signing-secret', type: 'SecureString', value: 'pkg-secret' },
    { name: '/swarm-ops/pkg/slack/bot-token', type: 'SecureString', value: 'xoxb-pkg' },
    { name: '/swarm-ops/pkg/slack/bot-user-id', type: 'String', value: 'U0BOT' },
    { name: '/swarm-ops/pkg/policy', type: 'String', value: JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: [], approver: [] } }) },
  ]);
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

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const functions = () => Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
/** the logical id of a function's role */
const roleOf = (fn: string) => functions()[fn]!.Role['Fn::GetAtt'][0] as string;
/** a role's inline statements, all of them (logs too) */
const allStatementsOf = (role: string): Statement[] =>
  (template.Resources[role]!.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);
const actions = (s: Statement) => [s.Action].flat();

/** a made-up account: what CloudFormation fills in at deploy time */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };
/** a template value as the string CloudFormation makes of it (Ref, Fn::Join, Fn::Sub of pseudo parameters; Fn::GetAtt as a stand-in ARN) */
function resolve(v: any): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    if ('Ref' in v && PSEUDO[v.Ref]) return PSEUDO[v.Ref]!;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(resolve).join(v['Fn::Join'][0]);
    if ('Fn::Sub' in v) return (v['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, k: string) => PSEUDO[k] ?? `<${k}>`);
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  throw new Error(`cannot resolve ${flat(v)}`);
}
/**
 * IAM's wildcard match: `*` is any run of characters, `?` one. Over the whole string, so a `*` may span
 * slashes and colons: never narrower than IAM itself, which is the safe side for "cannot" assertions.
 * Actions are case-insensitive, resources not.
 */
function iamMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}
const paramArn = (name: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter/swarm-ops/prod${name ? `/${name}` : ''}`;
/** whether any of a role's statements allows `action` on `arn` (every statement is an Allow with Action and Resource: checked below) */
const allows = (role: string, action: string, arn: string) =>
  allStatementsOf(role).some((s) => actions(s).some((a) => iamMatch(a, action, true)) && [s.Resource].flat().map(resolve).some((r) => iamMatch(r, arn)));
const PARAMETER_ARN = 'kms:EncryptionContext:PARAMETER_ARN';
/** whether a role may have KMS `action` a SecureString through SSM: a statement allowing it whose encryption-context condition (if any) matches */
const kmsAllows = (role: string, action: string, arn: string) =>
  allStatementsOf(role).some(
    (s) => actions(s).some((a) => iamMatch(a, action, true)) && (s.Condition?.['StringLike']?.[PARAMETER_ARN] === undefined || [s.Condition['StringLike'][PARAMETER_ARN]].flat().map(resolve).some((r) => iamMatch(r, arn))),
  );
const SSM_READS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'];
/** what the roles are granted: everything is read by name */
const SSM_NAME_READS = ['ssm:GetParameter', 'ssm:GetParameters'];

describe('npx serverless package (offline)', () => {
  it('builds the contract\'s five functions on nodejs22.x with their handlers', () => {
    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    expect(Object.keys(fns).sort()).toEqual(['RotateLambdaFunction', 'SlackLambdaFunction', 'SweepLambdaFunction', 'WatchLambdaFunction', 'WorkerLambdaFunction']);
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
    expect(configs['WatchLambdaEvConf']?.MaximumRetryAttempts).toBe(0);
  });

  it('routes POST /slack/events to the slack function and schedules rotate, sweep and watch', () => {
    expect(flat(resources('AWS::ApiGatewayV2::Route'))).toContain('POST /slack/events');
    expect(resources('AWS::Events::Rule').length).toBe(3);
  });

  it('gives each function the role it needs: the worker the provider role, rotate and sweep a scheduled role, slack the ingress role', () => {
    expect(roleOf('WorkerLambdaFunction')).toBe('IamRoleLambdaExecution');
    expect(roleOf('RotateLambdaFunction')).toBe('ScheduledRole');
    expect(roleOf('SweepLambdaFunction')).toBe('ScheduledRole');
    expect(roleOf('WatchLambdaFunction')).toBe('ScheduledRole');
    expect(roleOf('SlackLambdaFunction')).toBe('SlackIngressRole');
    expect(resources('AWS::IAM::Role').map(([k]) => k).sort()).toEqual(['IamRoleLambdaExecution', 'ScheduledRole', 'SlackIngressRole']);
    // what the matcher below reads is all a role has: inline Allow statements with Action and Resource, and AWS's
    // logging (and, for VPC functions, network interface) policies, which grant nothing of SSM, KMS or DynamoDB
    for (const [name, role] of resources('AWS::IAM::Role')) {
      for (const st of allStatementsOf(name)) {
        expect(st.Effect).toBe('Allow');
        expect(Object.keys(st).sort()).toEqual(st.Condition ? ['Action', 'Condition', 'Effect', 'Resource'] : ['Action', 'Effect', 'Resource']);
      }
      for (const arn of (role.Properties['ManagedPolicyArns'] ?? []) as unknown[]) {
        expect(resolve(arn)).toMatch(/^arn:aws:iam::aws:policy\/service-role\/AWSLambda(Basic|VPCAccess)ExecutionRole$/);
      }
    }
  });

  it('grants least privilege: SSM under the prefix, KMS via SSM only, invoke of the worker only, by the ingress only', () => {
    const statementsOf = (role: string) => allStatementsOf(role).filter((s) => !flat(s.Action).includes('logs:'));
    const actionsOf = (role: string) => statementsOf(role).flatMap(actions).sort();
    const dynamo = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

    // the worker: the service's parameters and KMS through SSM, the unlock keys, the state table; no invoking anything
    const worker = roleOf('WorkerLambdaFunction');
    expect(actionsOf(worker)).toEqual([...dynamo, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', ...SSM_NAME_READS, 'ssm:PutParameter']);
    const ssm = statementsOf(worker).find((s) => actions(s).includes('ssm:GetParameter'))!;
    expect([ssm.Resource].flat().map(resolve)).toEqual([paramArn(''), paramArn('*')]);

    // rotate and sweep (and watch, later): their parameters, KMS through SSM, the state table
    const scheduled = roleOf('RotateLambdaFunction');
    expect(actionsOf(scheduled)).toEqual([...dynamo, 'kms:Decrypt', ...SSM_NAME_READS]);
    const scheduledSsm = statementsOf(scheduled).find((s) => actions(s).includes('ssm:GetParameter'))!;
    expect([scheduledSsm.Resource].flat().map(resolve).sort()).toEqual(
      ['clusters/*/ca', 'clusters/*/cert', 'clusters/*/endpoints', 'clusters/*/key', 'policy', 'slack/bot-token', 'slack/bot-user-id'].map(paramArn),
    );

    // the ingress: Slack secrets and policy only (never the clusters' keys), KMS through SSM, invoke of the worker only
    const slack = roleOf('SlackLambdaFunction');
    expect(actionsOf(slack)).toEqual(['kms:Decrypt', 'lambda:InvokeFunction', 'ssm:GetParameter', 'ssm:GetParameters']);
    const slackSsm = statementsOf(slack).find((s) => actions(s).includes('ssm:GetParameter'))!;
    expect([slackSsm.Resource].flat().map(resolve).sort()).toEqual([paramArn('policy'), paramArn('slack/*')]);
    const invoke = statementsOf(slack).find((s) => flat(s.Action).includes('lambda:'))!;
    expect(resolve(invoke.Resource)).toBe('arn:aws:lambda:eu-west-1:123456789012:function:swarm-ops-prod-worker');
    // nobody else invokes anything
    for (const role of [worker, scheduled]) expect(allows(role, 'lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:123456789012:function:swarm-ops-prod-worker')).toBe(false);
  });

  it('lets only the worker and the ingress read the Slack signing secret: rotate and sweep cannot, not even through a wildcard', () => {
    // the matcher itself
    expect(iamMatch(paramArn('*'), paramArn('slack/signing-secret'))).toBe(true);
    expect(iamMatch(paramArn('slack/*'), paramArn('slack/signing-secret'))).toBe(true);
    expect(iamMatch(paramArn('clusters/*/unlock-key'), paramArn('clusters/a/b/unlock-key'))).toBe(true);
    expect(iamMatch(paramArn('slack/bot-token'), paramArn('slack/bot-token-2'))).toBe(false);
    expect(iamMatch('*', paramArn('policy'))).toBe(true);
    expect(iamMatch('ssm:Get*', 'ssm:getparameters', true)).toBe(true);

    const secret = paramArn('slack/signing-secret');
    const [worker, scheduled, slack] = [roleOf('WorkerLambdaFunction'), roleOf('SweepLambdaFunction'), roleOf('SlackLambdaFunction')];
    for (const action of SSM_READS) {
      expect(allows(scheduled, action, secret), `${scheduled} ${action}`).toBe(false);
      // a path read that would bring the secret along: the prefix, or its slack folder
      expect(allows(scheduled, action, paramArn('')), `${scheduled} ${action} on the prefix`).toBe(false);
      expect(allows(scheduled, action, paramArn('slack')), `${scheduled} ${action} on slack/`).toBe(false);
    }
    // and were it readable, KMS would not open it for them
    expect(kmsAllows(scheduled, 'kms:Decrypt', secret)).toBe(false);

    // what they do read: the policy, the bot token and user id, the clusters' credentials by name
    for (const name of ['policy', 'slack/bot-token', 'slack/bot-user-id', 'clusters/prod/endpoints', 'clusters/prod/ca', 'clusters/prod/cert', 'clusters/prod/key']) {
      expect(allows(scheduled, 'ssm:GetParameters', paramArn(name)), name).toBe(true);
    }
    for (const name of ['slack/bot-token', 'clusters/prod/key']) expect(kmsAllows(scheduled, 'kms:Decrypt', paramArn(name)), name).toBe(true);
    // never a cluster's unlock key (issue 21, finding 4): not by name, not by a path read that would bring it along, and KMS would not open it
    for (const action of SSM_READS) {
      expect(allows(scheduled, action, paramArn('clusters/prod/unlock-key')), action).toBe(false);
      expect(allows(scheduled, action, paramArn('clusters/prod')), `${action} on clusters/prod`).toBe(false);
      expect(allows(scheduled, action, paramArn('clusters')), `${action} on clusters`).toBe(false);
    }
    expect(kmsAllows(scheduled, 'kms:Decrypt', paramArn('clusters/prod/unlock-key'))).toBe(false);
    // nothing reads by path any more: no role may
    for (const [role] of resources('AWS::IAM::Role')) expect(allStatementsOf(role).flatMap(actions), role).not.toContain('ssm:GetParametersByPath');

    // the two that sign and verify: they can
    for (const role of [worker, slack]) {
      expect(allows(role, 'ssm:GetParameters', secret), role).toBe(true);
      expect(kmsAllows(role, 'kms:Decrypt', secret), role).toBe(true);
    }
    // and the ingress never a cluster's key
    for (const action of ['ssm:GetParameters', 'ssm:GetParametersByPath']) expect(allows(slack, action, paramArn('clusters/prod/key'))).toBe(false);
    expect(kmsAllows(slack, 'kms:Decrypt', paramArn('clusters/prod/key'))).toBe(false);
  });

  it('lets every KMS statement act only via SSM and only on its role\'s own parameters (the encryption context)', () => {
    let decrypts = 0;
    for (const [role] of resources('AWS::IAM::Role')) {
      const reads = allStatementsOf(role).filter((s) => actions(s).includes('ssm:GetParameter'));
      const writes = allStatementsOf(role).filter((s) => actions(s).includes('ssm:PutParameter'));
      for (const st of allStatementsOf(role).filter((s) => flat(s.Action).includes('kms:'))) {
        expect(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']).toEqual(expect.arrayContaining(actions(st)));
        expect(resolve(st.Condition?.['StringEquals']?.['kms:ViaService'])).toBe('ssm.eu-west-1.amazonaws.com');
        const context = [st.Condition?.['StringLike']?.[PARAMETER_ARN] ?? []].flat();
        expect(context.length, `${role} ${flat(st.Action)}`).toBeGreaterThan(0);
        // Decrypt: exactly the ARNs (and wildcards) the role may read; Encrypt: exactly those it may write
        const source = actions(st).includes('kms:Decrypt') ? reads : writes;
        expect(source).toHaveLength(1);
        expect(context).toEqual([source[0]!.Resource].flat());
        if (actions(st).includes('kms:Decrypt')) decrypts++;
      }
    }
    expect(decrypts).toBe(3);
  });

  it('lets the worker write the clusters\' unlock keys and no other parameter; nobody else writes any', () => {
    const worker = roleOf('WorkerLambdaFunction');
    const writes = ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:DeleteParameters', 'ssm:LabelParameterVersion', 'ssm:AddTagsToResource'];
    for (const [role] of resources('AWS::IAM::Role')) {
      for (const st of allStatementsOf(role)) {
        const w = actions(st).filter((a) => writes.some((x) => iamMatch(a, x, true)));
        expect(w, role).toEqual(role === worker ? w.filter((a) => a === 'ssm:PutParameter') : []);
      }
    }
    const put = allStatementsOf(worker).find((s) => actions(s).includes('ssm:PutParameter'))!;
    expect([put.Resource].flat().map(resolve)).toEqual([paramArn('clusters/*/unlock-key')]);
    expect(allows(worker, 'ssm:PutParameter', paramArn('clusters/prod/unlock-key'))).toBe(true);
    for (const name of ['clusters/prod/key', 'clusters/prod/ca', 'clusters/prod/endpoints', 'clusters/prod/unlock-key-old', 'slack/signing-secret', 'policy']) {
      expect(allows(worker, 'ssm:PutParameter', paramArn(name)), name).toBe(false);
    }
    // KMS encrypts for SSM's write of that name only
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey']) {
      expect(kmsAllows(worker, action, paramArn('clusters/prod/unlock-key'))).toBe(true);
      expect(kmsAllows(worker, action, paramArn('clusters/prod/key'))).toBe(false);
      for (const role of [roleOf('SweepLambdaFunction'), roleOf('SlackLambdaFunction')]) expect(kmsAllows(role, action, paramArn('clusters/prod/unlock-key'))).toBe(false);
    }
  });

  it('reserves concurrency for the worker and throttles the HTTP API, both from stage params', () => {
    const fns = functions();
    expect(fns['WorkerLambdaFunction']!.ReservedConcurrentExecutions).toBe(20);
    const stages = resources('AWS::ApiGatewayV2::Stage');
    expect(stages.map(([k]) => k)).toEqual(['HttpApiStage']);
    expect(stages[0]![1].Properties['DefaultRouteSettings']).toMatchObject({ ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 });
    // the stage params drive them (resolved offline, without another build)
    const config = JSON.parse(
      execFileSync(
        'npx',
        ['serverless', 'print', '--stage', 'dev', '--region', 'eu-west-1', '--format', 'json', '--param', 'workerReservedConcurrency=3', '--param', 'httpThrottleBurst=9', '--param', 'httpThrottleRate=4'],
        {
          cwd: path.resolve(import.meta.dirname, '..'),
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 60_000,
          env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-such' },
        },
      ),
    );
    expect(Number(config.functions.worker.reservedConcurrency)).toBe(3);
    const route = config.resources.extensions.HttpApiStage.Properties.DefaultRouteSettings;
    expect([Number(route.ThrottlingBurstLimit), Number(route.ThrottlingRateLimit)]).toEqual([9, 4]);
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

    // worker's and scheduled roles: one statement each, the item-level actions, on this table and its indexes only
    for (const fn of ['WorkerLambdaFunction', 'RotateLambdaFunction', 'SweepLambdaFunction']) {
      const dynamo = allStatementsOf(roleOf(fn)).filter((s) => flat(s.Action).includes('dynamodb:'));
      expect(dynamo).toEqual([
        {
          Effect: 'Allow',
          Action: expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem']),
          Resource: [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }, { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['StateTable', 'Arn'] }, 'index', '*']] }],
        },
      ]);
      expect(dynamo[0]!.Action).toHaveLength(6);
    }
    // no scan, no wildcard action, no table administration, anywhere
    expect(flat(template.Resources)).not.toMatch(/dynamodb:(Scan|\*|CreateTable|DeleteTable|UpdateTable)/);
    // the ingress: nothing of DynamoDB at all
    expect(flat(template.Resources[roleOf('SlackLambdaFunction')])).not.toContain('dynamodb');
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
    // credentials come from the environment: the SDK's full chain and its nested clients are in no bundle (build/esbuild-plugins.cjs)
    for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'watch'])
      expect(zipFile(fn, `src/handlers/${fn}.js.map`)).not.toMatch(/node_modules\/@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)\//);
    // what no function calls stays out: dockerode's BuildKit gRPC (build/esbuild-plugins.cjs)
    for (const fn of ['slack', 'worker']) expect(zipFile(fn, `src/handlers/${fn}.js.map`)).not.toMatch(/node_modules\/(@grpc\/grpc-js|protobufjs)\//);
    // the ingress takes Bolt's AwsLambdaReceiver alone (src/app/slack-events.ts): not Bolt's App, its Web API
    // client, OAuth, or the other receivers with Express, Socket Mode and raw-body/iconv-lite
    expect(slackMap).toMatch(/node_modules\/@slack\/bolt\/(dist|src)\/receivers\/AwsLambdaReceiver\.(js|ts)/);
    expect(slackMap).not.toMatch(/node_modules\/(@slack\/(web-api|oauth|socket-mode)|express|raw-body|iconv-lite|axios)\//);
    expect(slackMap).not.toMatch(/node_modules\/@slack\/bolt\/(dist|src)\/(App|index)\.(js|ts)/);
  });

  it('the packaged slack handler verifies, acknowledges and hands the job to the worker', async () => {
    const ssm = await packagedParameters();
    const lambda = await startLambdaStandIn();
    try {
      Object.assign(process.env, {
        SSM_PREFIX: '/swarm-ops/pkg',
        WORKER_FUNCTION_NAME: 'swarm-ops-pkg-worker',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'pkg',
        AWS_SECRET_ACCESS_KEY: 'pkg',
        AWS_SESSION_TOKEN: 'pkg-session',
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
      // signed with the credentials Lambda puts in the environment, session token included
      expect(ssm.calls.map((c) => [c.accessKeyId, c.sessionToken])).toEqual([['pkg', 'pkg-session']]);
    } finally {
      await Promise.all([ssm.close(), lambda.close()]);
    }
  });

  it('where a profile is asked for (or the environment has no credentials), the packaged slack handler uses the SDK\'s full chain', async () => {
    const ssm = await packagedParameters();
    const lambda = await startLambdaStandIn();
    try {
      const out = path.join(dir, 'unzipped-slack-profile');
      execFileSync('unzip', ['-qo', path.join(dir, 'slack.zip'), '-d', out]);
      writeFileSync(path.join(dir, 'aws-credentials'), '[bench-profile]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n');
      writeFileSync(path.join(dir, 'aws-config'), '[profile bench-profile]\nregion = eu-west-1\n');
      const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, AWS_SESSION_TOKEN: _t, AWS_PROFILE: _p, ...rest } = process.env;
      const child = await promisify(execFile)(
        process.execPath,
        ['-e', `require(${JSON.stringify(path.join(out, 'src/handlers/slack.js'))}).handler(JSON.parse(process.env.EVENT), {}).then((r) => console.log(r.statusCode))`],
        {
          env: {
            ...rest,
            // the SDK's full chain is not in the bundle: Lambda's runtime has it, here the repository's node_modules
            NODE_PATH: path.resolve('node_modules'),
            AWS_PROFILE: 'bench-profile',
            // keys in the environment too: as in the SDK's own chain, the profile asked for wins
            AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
            AWS_SECRET_ACCESS_KEY: 'env-secret',
            AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'aws-credentials'),
            AWS_CONFIG_FILE: path.join(dir, 'aws-config'),
            SSM_PREFIX: '/swarm-ops/pkg',
            WORKER_FUNCTION_NAME: 'swarm-ops-pkg-worker',
            AWS_REGION: 'eu-west-1',
            AWS_ENDPOINT_URL_SSM: ssm.url,
            AWS_ENDPOINT_URL_LAMBDA: lambda.url,
            EVENT: JSON.stringify(slashCommandEvent({ text: 'status', secret: 'pkg-secret', responseUrl: 'https://hooks.slack.test/r/3' })),
          },
        },
      );
      expect(child.stdout.trim().split('\n').at(-1)).toBe('200');
      expect(ssm.calls.map((c) => c.accessKeyId)).toEqual(['AKIDFROMPROFILE']);
      expect(lambda.invocations).toHaveLength(1);
    } finally {
      await Promise.all([ssm.close(), lambda.close()]);
    }
  });
});
