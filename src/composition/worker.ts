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
import type { Log } from '../log.js';
import type { ChatPort, ClusterCredentials, SwarmPort } from '../ports.js';

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
  log: Log;
}

export function composeWorkerParts(env: NodeJS.ProcessEnv = process.env, name = 'worker'): WorkerParts {
  const config = parseEnv(env, ['SSM_PREFIX']);
  const params = new SsmParameters(new SSMClient({}), config.SSM_PREFIX);
  const chat = lazyChat(async () => new SlackChat((await params.slackSecrets()).botToken, config.SLACK_API_URL));
  return { params, chat, log: powertoolsLog(name) };
}

/** The `worker` function's wiring. */
export function composeWorker(env: NodeJS.ProcessEnv = process.env): Worker {
  const { params, chat, log } = composeWorkerParts(env);
  return createWorker({
    policies: params,
    credentials: params,
    swarmFor: swarmCache(),
    chat,
    audit: createAudit({ chat, log }),
    log,
    clock: { now: () => new Date() },
    signingSecret: async () => (await params.slackSecrets()).signingSecret,
  });
}

/** The `rotate` function's wiring. */
export function composeRotation(env: NodeJS.ProcessEnv = process.env) {
  const { params, chat, log } = composeWorkerParts(env, 'rotate');
  return createScheduledRotation({
    policies: params,
    credentials: params,
    swarmFor: swarmCache(),
    audit: createAudit({ chat, log }),
    log,
    clock: { now: () => new Date() },
  });
}

/** The `sweep` function's wiring: closes approval requests nobody answered in time. */
export function composeSweep(env: NodeJS.ProcessEnv = process.env) {
  const { params, chat, log } = composeWorkerParts(env, 'sweep');
  return createApprovalSweep({
    policies: params,
    credentials: params,
    swarmFor: swarmCache(),
    chat,
    audit: createAudit({ chat, log }),
    log,
    clock: { now: () => new Date() },
  });
}
