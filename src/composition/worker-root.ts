import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { powertoolsLog } from '../adapters/aws/powertools-log.js';
import { DockerSwarm } from '../adapters/docker/docker-swarm.js';
import { DynamoState, type MalformedItem } from '../adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../adapters/aws/dynamo-watch.js';
import { DynamoRolloutStore } from '../adapters/aws/dynamo-rollouts.js';
import { IDEMPOTENCY_ATTRIBUTES } from '../adapters/aws/state-table.js';
import { PowertoolsLedger } from '../adapters/aws/powertools-ledger.js';
import { SlackChat } from '../adapters/slack/slack-chat.js';
import { SsmParameters } from '../adapters/aws/ssm-parameters.js';
import { SsmUnlockKeys } from '../adapters/aws/ssm-unlock-keys.js';
import { createApprovalSweep } from '../app/approval-sweep.js';
import { createScheduledRotation } from '../app/scheduled-rotation.js';
import { createWorker } from '../app/worker.js';
import type { Worker } from '../app/worker-types.js';
import { createAudit } from '../shared/audit-trail.js';
import { parseEnv } from '../config/env.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';
import type { Log } from '../log.js';
import type { ChatPort, Clock, ClusterCredentials, CredentialStore, PolicyStore, Swarm, UnlockKeyStore } from '../ports.js';

/** A chat port that fetches the bot token on first use, so a cold start makes no SSM call it doesn't need. */
export function lazyChat(make: () => Promise<ChatPort>): ChatPort {
  let chat: Promise<ChatPort> | undefined;
  const get = () => (chat ??= make().catch((e) => ((chat = undefined), Promise.reject(e))));
  return {
    respond: async (url, r, o) => (await get()).respond(url, r, o),
    post: async (c, r, o) => (await get()).post(c, r, o),
    update: async (c, ts, r) => (await get()).update(c, ts, r),
    upload: async (c, f, o) => (await get()).upload(c, f, o),
  };
}

/** One DockerSwarm per cached credential set, so a warm container keeps its negotiated clients. */
export function swarmCache(): (creds: ClusterCredentials) => Swarm {
  const byCreds = new WeakMap<ClusterCredentials, Swarm>();
  return (creds) => {
    let s = byCreds.get(creds);
    if (!s) byCreds.set(creds, (s = new DockerSwarm(creds)));
    return s;
  };
}

export interface WorkerParts {
  params: SsmParameters;
  /** what every swarm job gets: policy and credentials from SSM, the swarm, the table, Slack, audit, log, clock */
  deps: SwarmJobDeps;
  dynamo: DynamoDBClient;
  table: string;
  /** claims, pending approvals, audit history and counters in the table */
  state: DynamoState;
  /** the watch's incidents, mutes and state, in the same table */
  incidents: DynamoWatchStore;
  /** rollouts the worker handed to the watch */
  rollouts: DynamoRolloutStore;
}

/** What builds the pieces every swarm job shares, in Lambda and in the terminal alike. */
export interface JobWiring {
  policies: PolicyStore;
  credentials: CredentialStore;
  chat: ChatPort;
  log: Log;
  clock: Clock;
  doc: DynamoDBDocumentClient;
  table: string;
  unlockKeys: UnlockKeyStore;
  swarmFor?: (creds: ClusterCredentials) => Swarm;
}

/** The state table's stores and the deps of every swarm job, wired one way for the Lambda functions and the terminal. */
export function wireSwarmJobs(w: JobWiring): { deps: SwarmJobDeps; state: DynamoState; incidents: DynamoWatchStore; rollouts: DynamoRolloutStore } {
  const tableOptions = { clock: w.clock, onMalformed: (item: MalformedItem) => w.log.error('a malformed item in the state table was skipped', { item }) };
  const state = new DynamoState(w.doc, w.table, tableOptions);
  const incidents = new DynamoWatchStore(w.doc, w.table, tableOptions);
  const rollouts = new DynamoRolloutStore(w.doc, w.table, tableOptions);
  return {
    state,
    incidents,
    rollouts,
    deps: {
      policies: w.policies,
      credentials: w.credentials,
      swarmFor: w.swarmFor ?? swarmCache(),
      audit: createAudit({ chat: w.chat, log: w.log, history: state, counters: state }),
      log: w.log,
      clock: w.clock,
      chat: w.chat,
      claims: state,
      pending: state,
      history: state,
      unlockKeys: w.unlockKeys,
    },
  };
}

/** The worker over those deps: jobs act once through Powertools Idempotency on the same table. */
export function wireWorker(
  deps: SwarmJobDeps,
  o: { incidents: DynamoWatchStore; rollouts: DynamoRolloutStore; dynamo: DynamoDBClient; table: string; signingSecret: () => Promise<string>; botToken: () => Promise<string> },
): Worker {
  const ledger = new PowertoolsLedger(new DynamoDBPersistenceLayer({ tableName: o.table, awsSdkV3Client: o.dynamo, ...IDEMPOTENCY_ATTRIBUTES }));
  return createWorker({ ...deps, ledger, incidents: o.incidents, rollouts: o.rollouts, signingSecret: o.signingSecret, botToken: o.botToken });
}

export function composeWorkerParts(env: NodeJS.ProcessEnv = process.env, name = 'worker', clock: Clock = { now: () => new Date() }): WorkerParts {
  const config = parseEnv(env, ['SSM_PREFIX', 'STATE_TABLE']);
  const params = new SsmParameters(new SSMClient({}), config.SSM_PREFIX);
  const chat = lazyChat(
    async () =>
      // the bot token only: rotate and sweep share this wiring, and their role may not read the signing secret
      new SlackChat(await params.botToken(), {
        ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
        responseUrlPrefixes: config.SLACK_RESPONSE_URL_PREFIXES,
      }),
  );
  const dynamo = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const table = config.STATE_TABLE!;
  const wired = wireSwarmJobs({ policies: params, credentials: params, chat, log: powertoolsLog(name), clock, doc, table, unlockKeys: new SsmUnlockKeys(params) });
  return { params, dynamo, table, ...wired };
}

/** The `worker` function's wiring. */
export function composeWorker(env: NodeJS.ProcessEnv = process.env): Worker {
  const { params, deps, dynamo, table, incidents, rollouts } = composeWorkerParts(env);
  // the worker alone of these verifies job signatures and signs approval buttons: the only one whose role reads the signing secret
  return wireWorker(deps, { incidents, rollouts, dynamo, table, signingSecret: async () => (await params.slackSecrets()).signingSecret, botToken: () => params.botToken() });
}

/** The `rotate` function's wiring. */
export function composeRotation(env: NodeJS.ProcessEnv = process.env) {
  return createScheduledRotation(composeWorkerParts(env, 'rotate').deps);
}

/** The `sweep` function's wiring: closes approval requests nobody answered in time. */
export function composeSweep(env: NodeJS.ProcessEnv = process.env, clock?: Clock) {
  return createApprovalSweep(composeWorkerParts(env, 'sweep', clock).deps);
}
