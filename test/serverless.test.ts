/**
 * Packages the service offline with the osls CLI, as an operator would, and
 * reads what it produced: the CloudFormation template and the three zips.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../src/adapters/aws/state-table.js';
import { slashCommandEvent } from './support/slack-requests.js';
import { startLambdaStandIn, startSlackStandIn, startSsmStandIn } from './support/stand-ins.js';
import { makeTls } from './support/tls-fixture.js';
import { startLocalDynamo } from '../src/adapters/local/local-dynamo.js';
import { JOB_MAX_AGE_MS, signJob } from '../src/domain/job-signature.js';
import net from 'node:net';

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
  it('builds the contract\'s five functions (and `failed`, the worker\'s on-failure destination) on nodejs22.x with their handlers', () => {
    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    expect(Object.keys(fns).sort()).toEqual(['FailedLambdaFunction', 'RotateLambdaFunction', 'SlackLambdaFunction', 'SweepLambdaFunction', 'WatchLambdaFunction', 'WorkerLambdaFunction']);
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
    // the failure notice verifies the job (signing secret), posts (bot token) to the audit channel (policy): the ingress's parameters
    expect(roleOf('FailedLambdaFunction')).toBe('SlackIngressRole');
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

    // the worker: the service's parameters and KMS through SSM, the unlock keys, the state table; invoking its
    // on-failure destination `failed` (Lambda hands it a failed run with the worker's role), and nothing else
    const worker = roleOf('WorkerLambdaFunction');
    expect(actionsOf(worker)).toEqual([...dynamo, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'lambda:InvokeFunction', ...SSM_NAME_READS, 'ssm:PutParameter']);
    const destination = statementsOf(worker).filter((s) => flat(s.Action).includes('lambda:'));
    expect(destination.map((s) => [s.Resource].flat().map(resolve))).toEqual([['arn:aws:lambda:eu-west-1:123456789012:function:swarm-ops-prod-failed']]);
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
    // `serverless print` alone takes 3.5 to 5 s on a 2-core machine: beside the other unit tests, more than vitest's default 5 s
  }, 60_000);

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
   }, 60_000);

  it('bundles each function on its own: handler exported, no native modules, slack without Docker or renderers', () => {
    for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'failed']) {
      const entries = zipEntries(fn);
      expect(entries).toContain(`src/handlers/${fn}.js`);
      expect(entries.filter((e) => e.endsWith('.node'))).toEqual([]);
      expect(entries.some((e) => /node_modules\/(ssh2|cpu-features)\//.test(e))).toBe(false);
      expect(zipFile(fn, `src/handlers/${fn}.js`)).toMatch(/handler/);
    }
    // each bundle loads on its own (nothing left outside it) and exports a two-argument handler
    for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'failed']) {
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
    for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'failed']) expect(zipFile(fn, `src/handlers/${fn}.js.map`)).not.toMatch(/node_modules\/(dynalite|memory-level|classic-level)\//);
    // the failure notice talks to SSM and Slack only: no Docker, no table
    const failedMap = zipFile('failed', 'src/handlers/failed.js.map');
    expect(failedMap).not.toMatch(/node_modules\/(dockerode|docker-modem|@aws-sdk\/client-dynamodb)\//);
    expect(zipFile('worker', 'src/handlers/worker.js.map')).toContain('node_modules/dockerode/');
    // credentials come from the environment: the SDK's full chain and its nested clients are in no bundle (build/esbuild-plugins.cjs)
    for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'watch', 'failed'])
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

/** osls run offline, no account: its output, or its failure's */
const sls = (args: string[]) =>
  execFileSync('npx', ['serverless', ...args], {
    cwd: path.resolve(import.meta.dirname, '..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none-such' },
  });
const slsFailure = (args: string[]): string => {
  try {
    sls(args);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  throw new Error(`serverless ${args.join(' ')} succeeded`);
};

describe('no request ends in silence (serverless.yml)', () => {
  it('hands a failed worker run (thrown, timed out, or too old to run) to `failed`, and never retries it', () => {
    const conf = template.Resources['WorkerLambdaEvConf']!.Properties;
    expect(conf['DestinationConfig']).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': ['FailedLambdaFunction', 'Arn'] } } });
    expect(conf['MaximumRetryAttempts']).toBe(0);
    // a job queued (throttled) longer than its signature is good for would be refused silently by the worker: it goes to `failed` first
    expect(conf['MaximumEventAgeInSeconds'] * 1000).toBeLessThan(JOB_MAX_AGE_MS);
    // the failure notice is outside the VPC (SSM and Slack only) and takes the ingress's role, not the worker's
    expect(functions()['FailedLambdaFunction']!.VpcConfig).toBeUndefined();
    expect(roleOf('FailedLambdaFunction')).not.toBe(roleOf('WorkerLambdaFunction'));
  });

  it('alarms on worker errors, throttles, dropped and undelivered async events, and `failed`\'s own errors; without a topic they notify nobody', () => {
    const alarms: Record<string, Record<string, any>> = Object.fromEntries(resources('AWS::CloudWatch::Alarm').map(([, r]) => [r.Properties['AlarmName'], r.Properties]));
    const watched = Object.values(alarms).map((a) => [a['Namespace'], a['MetricName'], a['Dimensions'][0].Value.Ref, a['Threshold']]);
    expect(watched.sort()).toEqual(
      [
        ['AWS/Lambda', 'AsyncEventsDropped', 'WorkerLambdaFunction', 1],
        ['AWS/Lambda', 'DestinationDeliveryFailures', 'WorkerLambdaFunction', 1],
        ['AWS/Lambda', 'Errors', 'FailedLambdaFunction', 1],
        ['AWS/Lambda', 'Errors', 'WorkerLambdaFunction', 1],
        ['AWS/Lambda', 'Throttles', 'WorkerLambdaFunction', 1],
      ].sort(),
    );
    for (const a of Object.values(alarms)) {
      expect(a).toMatchObject({ Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(a['AlarmName']).toMatch(/^swarm-ops-prod-/);
      // notify the topic only when one is given
      expect(a['AlarmActions']).toEqual({ 'Fn::If': ['AlarmsNotify', [''], { Ref: 'AWS::NoValue' }] });
      expect(a['OKActions']).toEqual(a['AlarmActions']);
    }
    // by default no topic: the condition is false
    expect((template as any).Conditions.AlarmsNotify).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });

    // a stage's topic, period and thresholds (resolved offline, without another build)
    const topic = 'arn:aws:sns:eu-west-1:123456789012:swarm-ops-alarms';
    const config = JSON.parse(
      sls(['print', '--stage', 'prod', '--region', 'eu-west-1', '--format', 'json', '--param', `alarmTopicArn=${topic}`, '--param', 'alarmPeriodSeconds=60', '--param', 'alarmWorkerErrors=3', '--param', 'alarmWorkerThrottles=5']),
    );
    expect(config.resources.Conditions.AlarmsNotify).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [topic, ''] }] });
    const errors = config.resources.Resources.WorkerErrorsAlarm.Properties;
    expect(errors.AlarmActions).toEqual({ 'Fn::If': ['AlarmsNotify', [topic], { Ref: 'AWS::NoValue' }] });
    expect([Number(errors.Period), Number(errors.Threshold)]).toEqual([60, 3]);
    const throttles = config.resources.Resources.WorkerThrottlesAlarm.Properties;
    expect([throttles.MetricName, Number(throttles.Period), Number(throttles.Threshold)]).toEqual(['Throttles', 60, 5]);
    expect(config.resources.Resources.FailedErrorsAlarm.Properties.AlarmActions).toEqual(errors.AlarmActions);
   }, 60_000);
});

describe('managers on private subnets (the VPC stage parameters)', () => {
  const vpcFunctions = ['WorkerLambdaFunction', 'RotateLambdaFunction', 'SweepLambdaFunction', 'WatchLambdaFunction'];

  it('by default puts no function in a VPC', () => {
    for (const fn of vpcFunctions) expect(functions()[fn]!.VpcConfig).toEqual({ SecurityGroupIds: [], SubnetIds: [] });
  });

  it('refuses to package subnets without a security group, or a security group without subnets, saying which is missing', () => {
    const out = path.join(dir, 'half-vpc');
    const noGroup = slsFailure(['package', '--stage', 'prod', '--region', 'eu-west-1', '--package', out, '--param', 'vpcSubnetIds=subnet-aaa,subnet-bbb']);
    expect(noGroup).toMatch(/Half a VPC configuration: "worker", "rotate", "sweep", "watch" would have subnets \(subnet-aaa, subnet-bbb\) but no security group\./);
    expect(noGroup).toMatch(/Set both stage parameters or neither: vpcSubnetIds .* and vpcSecurityGroupIds/);
    const noSubnet = slsFailure(['package', '--stage', 'prod', '--region', 'eu-west-1', '--package', out, '--param', 'vpcSecurityGroupIds=sg-ccc']);
    expect(noSubnet).toMatch(/"worker", "rotate", "sweep", "watch" would have security groups \(sg-ccc\) but no subnet\./);
    // refused before anything was built
    expect(existsSync(out)).toBe(false);
   }, 60_000);

  it('with both, puts worker, rotate, sweep and watch in the VPC (lists from comma-separated params), slack and failed outside', () => {
    const out = path.join(dir, 'vpc');
    sls(['package', '--stage', 'prod', '--region', 'eu-west-1', '--package', out, '--param', 'vpcSubnetIds=subnet-aaa, subnet-bbb', '--param', 'vpcSecurityGroupIds=sg-ccc']);
    const t = JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as typeof template;
    const fns = Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function'));
    for (const fn of vpcFunctions) expect(fns[fn]!.Properties['VpcConfig'], fn).toEqual({ SecurityGroupIds: ['sg-ccc'], SubnetIds: ['subnet-aaa', 'subnet-bbb'] });
    for (const fn of ['SlackLambdaFunction', 'FailedLambdaFunction']) expect(fns[fn]!.Properties['VpcConfig'], fn).toBeUndefined();
    // both roles of VPC functions may manage their network interfaces
    for (const role of ['IamRoleLambdaExecution', 'ScheduledRole']) {
      expect((t.Resources[role]!.Properties['ManagedPolicyArns'] as unknown[]).map(resolve)).toContain('arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole');
    }
   }, 120_000);
});

/**
 * A worker killed mid-command, through the packaged handlers: the worker bundle against a manager that
 * accepts and never answers, then Lambda's on-failure delivery (simulated: the record the runtime sends
 * a function destination, described in src/app/failure-notice.ts) to the packaged `failed` bundle.
 * No Docker: SSM, DynamoDB (dynalite) and Slack are local stand-ins.
 */
describe('a worker killed mid-command: the person hears, naming the request id (packaged handlers)', () => {
  const SECRET = 'pkg-failure-secret';
  const PREFIX = '/swarm-ops/pkgfail';
  type Handler = (event: unknown, context: unknown) => Promise<unknown>;
  let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
  let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let worker: Handler;
  let failed: Handler;

  const load = (fn: string, copy = ''): Handler => {
    const out = path.join(dir, `failure-${fn}${copy}`);
    execFileSync('unzip', ['-qo', path.join(dir, `${fn}.zip`), '-d', out]);
    return (createRequire(import.meta.url)(path.join(out, 'src/handlers', `${fn}.js`)) as { handler: Handler }).handler;
  };
  const job = (requestId: string, text: string) =>
    signJob({ kind: 'command', requestId, text, command: text.split(' ')[0]!, cluster: 'prod', user: 'U0OPS', channel: 'C0OPS', responseUrl: slack.responseUrl(requestId), issuedAt: new Date().toISOString() }, SECRET);
  /** what Lambda hands the worker: its limit, as getRemainingTimeInMillis counts it down */
  const context = (budgetMs: number) => {
    const end = Date.now() + budgetMs;
    return { functionName: 'swarm-ops-pkgfail-worker', awsRequestId: `aws-${Date.now()}`, getRemainingTimeInMillis: () => end - Date.now() };
  };
  /** the record Lambda sends the on-failure destination once the worker's run ended that way */
  const onFailure = (payload: unknown, responsePayload: unknown) => ({
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: `aws-${Date.now()}`, functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:swarm-ops-pkgfail-worker:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 1 },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload,
  });
  const answerTo = (id: string) => JSON.stringify(slack.responses.filter((r) => r.id === id).map((r) => r.body));

  beforeAll(async () => {
    // a manager that accepts the connection and never says a word (not even the TLS handshake)
    silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const tls = makeTls();
    const policy = { defaultCluster: 'prod', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: ['U0OPS'], approver: [] } };
    ssm = await startSsmStandIn([
      { name: `${PREFIX}/slack/signing-secret`, type: 'SecureString', value: SECRET },
      { name: `${PREFIX}/slack/bot-token`, type: 'SecureString', value: 'xoxb-pkgfail' },
      { name: `${PREFIX}/slack/bot-user-id`, type: 'String', value: 'U0BOT' },
      { name: `${PREFIX}/policy`, type: 'String', value: JSON.stringify(policy) },
      { name: `${PREFIX}/clusters/prod/endpoints`, type: 'StringList', value: `tcp://127.0.0.1:${port}` },
      { name: `${PREFIX}/clusters/prod/ca`, type: 'SecureString', value: tls.ca },
      { name: `${PREFIX}/clusters/prod/cert`, type: 'SecureString', value: tls.client.cert },
      { name: `${PREFIX}/clusters/prod/key`, type: 'SecureString', value: tls.client.key },
    ]);
    slack = await startSlackStandIn();
    dynamo = await startLocalDynamo({ tableName: 'swarm-ops-pkgfail-state' });
    Object.assign(process.env, {
      SSM_PREFIX: PREFIX,
      STATE_TABLE: 'swarm-ops-pkgfail-state',
      WORKER_FUNCTION_NAME: 'swarm-ops-pkgfail-worker',
      SLACK_API_URL: slack.apiUrl,
      SLACK_RESPONSE_URL_PREFIXES: slack.responseUrl(''),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'pkg',
      AWS_SECRET_ACCESS_KEY: 'pkg',
      AWS_ENDPOINT_URL_SSM: ssm.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    });
    worker = load('worker');
    failed = load('failed');
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([ssm?.close(), slack?.close(), dynamo?.close(), new Promise((r) => silent?.close(r))]);
  });

  it('timed out: with little time left, the worker stops waiting and answers itself, naming the request id', async () => {
    const started = Date.now();
    // 4 s left: the worker keeps 2.5 s for its answer, so it gives up on the silent manager after 1.5 s
    await worker(job('pkg-guard', 'status'), context(4000));
    expect(Date.now() - started).toBeLessThan(4000);
    const answer = answerTo('pkg-guard');
    expect(answer).toMatch(/Outcome unknown/);
    expect(answer).toContain('pkg-guard');
  }, 20_000);

  it('timed out: killed at its limit mid-command, the worker says nothing; the on-failure delivery to `failed` tells the person', async () => {
    const started = Date.now();
    const run = worker(job('pkg-killed', 'drain w1'), context(15 * 60_000));
    // Lambda's limit (here 1.5 s): the runtime stops the run; the handler has not answered
    const killed = await Promise.race([run.then(() => 'answered', () => 'threw'), new Promise((r) => setTimeout(() => r('killed'), 1500))]);
    expect(killed).toBe('killed');
    expect(sockets.size).toBeGreaterThan(0);
    expect(answerTo('pkg-killed')).toBe('[]');
    await failed(onFailure(job('pkg-killed', 'drain w1'), { errorMessage: `${new Date().toISOString()} aws-1 Task timed out after 1.50 seconds` }), {});
    const answer = answerTo('pkg-killed');
    expect(answer).toContain('pkg-killed');
    expect(answer).toMatch(/time limit/);
    // a change: whether it happened is not known, and is not claimed
    expect(answer).toMatch(/outcome is unknown/);
    expect(answer).not.toMatch(/nothing was changed/i);
    // and the audit channel
    expect(JSON.stringify(slack.posts.filter((p) => p.body['channel'] === 'C0AUDIT'))).toMatch(/failed[\s\S]*pkg-killed/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it('thrown: the worker\'s handler throws (SSM refuses it), and the on-failure delivery tells the person that a read changed nothing', async () => {
    const payload = job('pkg-threw', 'status');
    // a cold worker (a fresh copy of the bundle: nothing cached), and SSM refusing its first read
    const cold = load('worker', 'cold');
    ssm.failWith({ type: 'ThrottlingException', message: 'Rate exceeded', targets: ['GetParameters'] });
    let thrown: Error | undefined;
    try {
      await cold(payload, context(60_000));
    } catch (err) {
      thrown = err as Error;
    } finally {
      ssm.failWith(undefined);
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(answerTo('pkg-threw')).toBe('[]');
    // what the runtime records of a thrown error: its type and message
    await failed(onFailure(payload, { errorType: thrown!.name, errorMessage: thrown!.message, trace: [] }), {});
    const answer = answerTo('pkg-threw');
    expect(answer).toContain('pkg-threw');
    expect(answer).toMatch(new RegExp(`stopped with an error \\(${thrown!.name}\\)`));
    expect(answer).toMatch(/nothing was changed/i);
  }, 20_000);

  it('a forged record (a job the ingress did not sign, aimed elsewhere) tells nobody', async () => {
    const before = slack.responses.length + slack.posts.length;
    const forged = { ...job('pkg-forged', 'status'), responseUrl: slack.responseUrl('elsewhere') };
    await failed(onFailure(forged, { errorType: 'Error', errorMessage: 'x' }), {});
    expect(slack.responses.length + slack.posts.length).toBe(before);
  });
});
