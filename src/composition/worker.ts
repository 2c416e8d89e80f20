import { SSMClient } from '@aws-sdk/client-ssm';
import { powertoolsLog } from '../adapters/powertools-log.js';
import { DockerSwarm } from '../adapters/docker-swarm.js';
import { SlackChat } from '../adapters/slack-chat.js';
import { SsmParameters } from '../adapters/ssm-parameters.js';
import { createApprovalSweep } from '../app/approval-sweep.js';
import { createScheduledRotation } from '../app/scheduled-rotation.js';
import { createWorker, type Worker } from '../app/worker.js';
import { createAudit } from '../audit.js';
import { parseEnv } from '../config/env.js';
import type { SwarmJobDeps } from '../app/deps.js';
import type { ChatPort, Clock, ClusterCredentials, SwarmPort } from '../ports.js';

/** A chat port that fetches the bot token on first use, so a cold start makes no SSM call it doesn't need. */
export function lazyChat(make: () => Promise<ChatPort>): ChatPort {
  let chat: Promise<ChatPort> | undefined;
  const get = () => (chat ??= make().catch((e) => ((chat = undefined), Promise.reject(e))));
  return {
    respond: async (url, m) => (await get()).respond(url, m),
    postMessage: async (c, m) => (await get()).postMessage(c, m),
    update: async (c, ts, m) => (await get()).update(c, ts, m),
  };
}

/** One DockerSwarm per cached credential set, so a warm container keeps its negotiated clients. */
export function swarmCache(): (creds: ClusterCredentials) => SwarmPort {
  const byCreds = new WeakMap<ClusterCredentials, SwarmPort>();
  return (creds) => {
    let s = byCreds.get(creds);
    if (!s) byCreds.set(creds, (s = new DockerSwarm(creds)));
    return s;
  };
}

export interface WorkerParts {
  params: SsmParameters;
  chat: ChatPort;
  /** what every swarm job gets: policy and credentials from SSM, the swarm, audit, log, clock */
  deps: SwarmJobDeps;
}

export function composeWorkerParts(env: NodeJS.ProcessEnv = process.env, name = 'worker', clock: Clock = { now: () => new Date() }): WorkerParts {
  const config = parseEnv(env, ['SSM_PREFIX']);
  const params = new SsmParameters(new SSMClient({}), config.SSM_PREFIX);
  const chat = lazyChat(async () => new SlackChat((await params.slackSecrets()).botToken, config.SLACK_API_URL));
  const log = powertoolsLog(name);
  return {
    params,
    chat,
    deps: { policies: params, credentials: params, swarmFor: swarmCache(), audit: createAudit({ chat, log }), log, clock },
  };
}

/** The `worker` function's wiring. */
export function composeWorker(env: NodeJS.ProcessEnv = process.env): Worker {
  const { params, chat, deps } = composeWorkerParts(env);
  return createWorker({ ...deps, chat, signingSecret: async () => (await params.slackSecrets()).signingSecret });
}

/** The `rotate` function's wiring. */
export function composeRotation(env: NodeJS.ProcessEnv = process.env) {
  return createScheduledRotation(composeWorkerParts(env, 'rotate').deps);
}

/** The `sweep` function's wiring: closes approval requests nobody answered in time. */
export function composeSweep(env: NodeJS.ProcessEnv = process.env, clock?: Clock) {
  const { chat, deps } = composeWorkerParts(env, 'sweep', clock);
  return createApprovalSweep({ ...deps, chat });
}
