/**
 * Drives the real Lambda handlers (src/handlers/*) the way AWS would, with
 * the real AWS SDK clients pointed at local SSM and Lambda stand-ins, Slack's
 * Web API and response URLs at a local stand-in, and the swarm lab behind it.
 */
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { startLambdaStandIn, startSlackStandIn, startSsmStandIn, type StoredParameter } from '../support/stand-ins.js';
import { blockActionEvent, slashCommandEvent } from '../support/slack-requests.js';
import { readLab, type Lab } from './lab.js';
import { startLocalDynamo } from '../../src/adapters/local/local-dynamo.js';

export const PREFIX = '/swarm-ops/test';
export const STATE_TABLE = 'swarm-ops-test-state';
export const SIGNING_SECRET = 'lab-signing-secret-0123456789abcdef';

export const USERS = { viewer: 'U0VIEW', operator: 'U0OPS', approver: 'U0APPROVE', approver2: 'U0APPROVE2', stranger: 'U0NOBODY' };

export function labPolicy(over: Record<string, unknown> = {}) {
  return {
    defaultCluster: 'lab',
    auditChannel: 'C0AUDIT',
    channels: { C0PRODOPS: 'lab' },
    roles: {
      viewer: [USERS.viewer],
      operator: [USERS.operator],
      approver: [USERS.approver, USERS.approver2],
    },
    approvalTtlMinutes: 15,
    probeImage: 'swarm-ops/probe:latest',
    rotateAfterJoin: true,
    clusters: { lab: { rotate: ['worker'] }, badca: {}, n2first: {}, deadfirst: {}, blackholed: {} },
    ...over,
  };
}

/** Lab problem from the global setup: empty when the lab is up. */
export const labUnavailable = (): string => inject('labProblem');

function clusterParams(name: string, endpoints: string[], tls: { ca: string; cert: string; key: string }): StoredParameter[] {
  const base = `${PREFIX}/clusters/${name}`;
  return [
    { name: `${base}/endpoints`, type: 'StringList', value: endpoints.join(',') },
    { name: `${base}/ca`, type: 'SecureString', value: readFileSync(tls.ca, 'utf8') },
    { name: `${base}/cert`, type: 'SecureString', value: readFileSync(tls.cert, 'utf8') },
    { name: `${base}/key`, type: 'SecureString', value: readFileSync(tls.key, 'utf8') },
  ];
}

/** The contract's SSM layout for the lab: Slack secrets, the policy, and the test clusters. */
export interface HarnessOptions {
  /** more clusters: name → manager endpoints (the lab's TLS) */
  clusters?: Record<string, string[]>;
  /** replaces parts of the lab policy */
  policy?: Record<string, unknown>;
}

export function labParameters(lab: Lab, o: HarnessOptions = {}): StoredParameter[] {
  const managers = lab.nodes.filter((n) => n.role === 'manager');
  const [n1, n2, n3] = managers.map((m) => m.url);
  return [
    { name: `${PREFIX}/slack/signing-secret`, type: 'SecureString', value: SIGNING_SECRET },
    { name: `${PREFIX}/slack/bot-token`, type: 'SecureString', value: 'xoxb-lab-bot-token' },
    { name: `${PREFIX}/slack/bot-user-id`, type: 'String', value: 'U0BOT' },
    { name: `${PREFIX}/policy`, type: 'String', value: JSON.stringify(labPolicy(o.policy)) },
    ...clusterParams('lab', [n1!, n2!, n3!], lab.tls),
    ...clusterParams('n2first', [n2!, n1!, n3!], lab.tls),
    // nobody lives at .99: connecting fails (host unreachable) or times out
    ...clusterParams('deadfirst', ['tcp://10.77.0.99:2376', n1!, n2!], lab.tls),
    ...clusterParams('badca', [n1!], { ...lab.tls, ca: lab.tls.wrongCa }),
    // the spares' links are taken down in a test: endpoints that swallow packets
    ...clusterParams('blackholed', ['tcp://10.77.0.14:2376', 'tcp://10.77.0.15:2376', n1!], lab.tls),
    ...Object.entries(o.clusters ?? {}).flatMap(([name, endpoints]) => clusterParams(name, endpoints, lab.tls)),
  ];
}

/** The contract's environment, with the AWS SDK and Slack pointed at the stand-ins, as the Lambda functions would read it. */
export function useLabEnvironment(o: { ssmUrl: string; slackApiUrl: string; lambdaUrl?: string; dynamoUrl?: string; responseUrlPrefix?: string }): void {
  Object.assign(process.env, {
    STATE_TABLE: STATE_TABLE,
    ...(o.dynamoUrl ? { AWS_ENDPOINT_URL_DYNAMODB: o.dynamoUrl } : {}),
    ...(o.responseUrlPrefix ? { SLACK_RESPONSE_URL_PREFIXES: o.responseUrlPrefix } : {}),
    SSM_PREFIX: PREFIX,
    WORKER_FUNCTION_NAME: 'swarm-ops-test-worker',
    SLACK_API_URL: o.slackApiUrl,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'lab',
    AWS_SECRET_ACCESS_KEY: 'lab',
    AWS_ENDPOINT_URL_SSM: o.ssmUrl,
    ...(o.lambdaUrl ? { AWS_ENDPOINT_URL_LAMBDA: o.lambdaUrl } : {}),
    POWERTOOLS_DEV: 'false',
  });
}

/** What Lambda hands a function: its name and how long it may still run. */
export const lambdaContext = (functionName: string, budgetMs = 300_000) => {
  const end = Date.now() + budgetMs;
  return { functionName, awsRequestId: `req-${Date.now()}`, getRemainingTimeInMillis: () => end - Date.now() };
};

export async function startHarness(o: HarnessOptions = {}) {
  const lab: Lab = readLab();
  const ssm = await startSsmStandIn(labParameters(lab, o));
  const slack = await startSlackStandIn();
  // the bot's table: dynalite in this process, created from the definition serverless.yml deploys
  const dynamo = await startLocalDynamo({ tableName: STATE_TABLE });

  // capture every log line the handlers write, for the secret scans
  const logLines: string[] = [];
  // (Powertools writes warnings and errors to stderr, the rest to stdout: both are scanned)
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (to: typeof write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (to as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = capture(write);
  process.stderr.write = capture(writeErr);

  let workerHandler: ((e: unknown, c: never) => Promise<unknown>) | undefined;
  const lambda = await startLambdaStandIn(async (fn, payload) => {
    if (fn !== 'swarm-ops-test-worker') throw new Error(`unexpected function ${fn}`);
    await workerHandler!(payload, lambdaContext(fn) as never);
  });

  useLabEnvironment({ ssmUrl: ssm.url, slackApiUrl: slack.apiUrl, lambdaUrl: lambda.url, dynamoUrl: dynamo.endpoint, responseUrlPrefix: slack.responseUrl('') });
  // the handlers compose themselves from the environment at import, as in Lambda
  const slackHandler = (await import('../../src/handlers/slack.js')).handler;
  workerHandler = (await import('../../src/handlers/worker.js')).handler;
  const rotateHandler = (await import('../../src/handlers/rotate.js')).handler;

  let responseId = 0;

  async function slash(text: string, opts: { user?: string; channel?: string; timestamp?: number; forgeWith?: string } = {}) {
    const id = `r${++responseId}`;
    const started = Date.now();
    const res = await slackHandler(
      slashCommandEvent({ text, secret: SIGNING_SECRET, responseUrl: slack.responseUrl(id), ...opts }) as never,
      {},
    );
    const ackMs = Date.now() - started;
    const postsBefore = slack.posts.length;
    await lambda.settled();
    const responses: Array<Record<string, unknown>> = slack.responses.filter((r) => r.id === id).map((r) => r.body);
    // work that ran longer than a second showed its progress in a channel message, and the result replaced it there
    if (!responses.length) {
      const mine = slack.posts.slice(postsBefore);
      const progress = mine.find((p) => p.method === 'chat.postMessage' && /Working on/.test(String(p.body['text'])));
      const final = progress && mine.filter((p) => p.method === 'chat.update' && p.body['channel'] === progress.body['channel']).at(-1);
      if (final) responses.push({ response_type: 'in_channel', ...final.body });
    }
    return {
      status: res.statusCode,
      ack: res.body ? (JSON.parse(res.body) as { text: string; response_type: string }) : undefined,
      ackMs,
      /** what the worker posted to the response URL */
      responses,
      result: responses.at(-1) as { response_type: string; text: string; blocks: unknown[] } | undefined,
      resultText: responses.length ? JSON.stringify(responses.at(-1)) : '',
    };
  }

  async function click(o: { actionId: string; value?: string; selected?: string; messageBlocks?: unknown[]; user: string; messageTs?: string; channel?: string }) {
    const id = `r${++responseId}`;
    const res = await slackHandler(blockActionEvent({ ...o, secret: SIGNING_SECRET, responseUrl: slack.responseUrl(id) }) as never, {});
    await lambda.settled();
    return { status: res.statusCode, body: res.body, responses: slack.responses.filter((r) => r.id === id).map((r) => r.body) };
  }

  return {
    lab,
    ssm,
    dynamo,
    slack,
    lambda,
    logLines,
    slash,
    click,
    rotate: (event: unknown) => rotateHandler(event, {}),
    /** hands a job to the worker again, as a repeated async delivery would */
    redeliver: (payload: unknown) => workerHandler!(payload, lambdaContext('swarm-ops-test-worker') as never),
    slackHandler,
    auditPosts: () => slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0AUDIT'),
    async close() {
      process.stdout.write = write;
      process.stderr.write = writeErr;
      await Promise.all([ssm.close(), slack.close(), lambda.close(), dynamo.close()]);
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
