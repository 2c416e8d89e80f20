import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { powertoolsLog } from '../adapters/powertools-log.js';
import { DockerSwarm } from '../adapters/docker-swarm.js';
import { DynamoState, type MalformedItem } from '../adapters/dynamo-state.js';
import { DynamoWatchStore } from '../adapters/dynamo-watch.js';
import { IDEMPOTENCY_ATTRIBUTES } from '../adapters/state-table.js';
import { PowertoolsLedger } from '../adapters/powertools-ledger.js';
import { SlackChat } from '../adapters/slack-chat.js';
import { SsmParameters } from '../adapters/ssm-parameters.js';
import { SsmUnlockKeys } from '../adapters/ssm-unlock-keys.js';
import { createApprovalSweep } from '../app/approval-sweep.js';
import { createScheduledRotation } from '../app/scheduled-rotation.js';
import { createWorker, type Worker } from '../app/worker.js';
import { createAudit } from '../audit.js';
import { parseEnv } from '../config/env.js';
import type { SwarmJobDeps } from '../app/deps.js';
import type { ChatPort, Clock, ClusterCredentials, Swarm } from '../ports.js';

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
  const log = powertoolsLog(name);
  const dynamo = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const tableOptions = { clock, onMalformed: (item: MalformedItem) => log.error('a malformed item in the state table was skipped', { item }) };
  const state = new DynamoState(doc, config.STATE_TABLE!, tableOptions);
  const incidents = new DynamoWatchStore(doc, config.STATE_TABLE!, tableOptions);
  return {
    params,
    dynamo,
    table: config.STATE_TABLE!,
    state,
    incidents,
    deps: {
      policies: params,
      credentials: params,
      swarmFor: swarmCache(),
      audit: createAudit({ chat, log, history: state, counters: state }),
      log,
      clock,
      chat,
      claims: state,
      pending: state,
      history: state,
      unlockKeys: new SsmUnlockKeys(params),
    },
  };
}

/** The `worker` function's wiring: jobs act once through Powertools Idempotency on the same table. */
export function composeWorker(env: NodeJS.ProcessEnv = process.env): Worker {
  const { params, deps, dynamo, table, incidents } = composeWorkerParts(env);
  const ledger = new PowertoolsLedger(new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: dynamo, ...IDEMPOTENCY_ATTRIBUTES }));
  // the worker alone of these verifies job signatures and signs approval buttons: the only one whose role reads the signing secret
  return createWorker({ ...deps, ledger, incidents, signingSecret: async () => (await params.slackSecrets()).signingSecret });
}


/** The `rotate` function's wiring. */
export function composeRotation(env: NodeJS.ProcessEnv = process.env) {
  return createScheduledRotation(composeWorkerParts(env, 'rotate').deps);
}

/** The `sweep` function's wiring: closes approval requests nobody answered in time. */
export function composeSweep(env: NodeJS.ProcessEnv = process.env, clock?: Clock) {
  return createApprovalSweep(composeWorkerParts(env, 'sweep', clock).deps);
}
