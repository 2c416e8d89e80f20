/**
 * The local conversation's wiring, and the terminal's composition root, which
 * builds adapters: the real ingress functions (parse, authorize,
 * acknowledge) and the real worker, joined by a queue that signs every job
 * as the Lambda ingress does; the bot's table on an in-process dynalite; the
 * parameters from a folder instead of SSM; Slack replaced by the terminal's
 * channels. Nothing here needs an AWS or a Slack account.
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStateClient } from '../adapters/aws/dynamo-state.js';
import { FileUnlockKeys } from '../adapters/local/file-unlock-keys.js';
import { startLocalDynamo } from '../adapters/local/local-dynamo.js';
import { acceptAlertClick, acceptCommand, acceptDecision, type IngressDeps } from '../app/ingress.js';
import type { BlockActions, ClickedAction } from '../app/slack-events.js';
import { createWatch } from '../watch/watch-pass.js';
import { ALERT_ACTION } from '../domain/alert-button.js';
import { wireSwarmJobs, wireWorker } from './worker-root.js';
import { signJob } from '../domain/job-signature.js';
import type { ReplyPart } from '../domain/reply.js';
import type { Log } from '../log.js';
import type { Clock, ClusterCredentials, JobQueue, Swarm } from '../ports.js';
import { FolderParameters } from '../adapters/local/parameter-folder.js';
import { TerminalChat, type ChatEvent } from '../adapters/local/terminal-chat.js';

export interface LocalBotOptions {
  /** the parameter folder (policy.json, slack/, clusters/) */
  folder: string;
  /** where autolock's unlock keys are kept (SSM in production) */
  unlockKeysDir?: string;
  /** where the bot's table is kept between runs (LevelDB); without it, in memory */
  stateDir?: string;
  /** told about every post, edit and ephemeral answer */
  onChat: (e: ChatEvent) => void;
  log: Log;
  /** tests put a fake swarm here */
  swarmFor?: (creds: ClusterCredentials) => Swarm;
  clock?: Clock;
}

/** Who clicked what, on which message: as Slack sends a click on a button or a menu. */
export interface Click {
  user: string;
  team?: string;
  channel: string;
  ts: string;
  /** the message's buttons, as its blocks carry them */
  buttons: Extract<ReplyPart, { kind: 'buttons' }>[];
  actionId: string;
  value?: string;
  /** a menu's chosen option */
  selected?: string;
}

export type LocalBot = Awaited<ReturnType<typeof startLocalBot>>;

/** No time limit locally; the ledger is told the worker's Lambda timeout (900 s), as a Lambda context would. */
const LOCAL_INVOCATION = { lambdaContext: { getRemainingTimeInMillis: () => 900_000 } };

export async function startLocalBot(o: LocalBotOptions) {
  const clock = o.clock ?? { now: () => new Date() };
  const params = new FolderParameters(o.folder);
  const chat = new TerminalChat(clock, o.onChat);
  const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-local-state', ...(o.stateDir ? { dir: o.stateDir } : {}) });
  const doc = createStateClient(dynamo.clientConfig);
  const { deps, incidents, rollouts } = wireSwarmJobs({
    policies: params,
    credentials: params,
    chat,
    log: o.log,
    clock,
    doc,
    table: dynamo.tableName,
    unlockKeys: new FileUnlockKeys(o.unlockKeysDir ?? path.join(o.folder, 'unlock-keys')),
    ...(o.swarmFor ? { swarmFor: o.swarmFor } : {}),
  });
  const idempotencyClient = new DynamoDBClient(dynamo.clientConfig);
  const signingSecret = async () => (await params.slackSecrets()).signingSecret;
  const worker = wireWorker(deps, { incidents, rollouts, dynamo: idempotencyClient, table: dynamo.tableName, signingSecret, botToken: () => params.botToken() });

  // Lambda's async invoke: the ingress answers at once, the worker runs on; `settled` waits for what was handed on
  let running: Array<Promise<void>> = [];
  const queue: JobQueue = {
    enqueue: async (job) => {
      const signed = signJob(job, await signingSecret());
      running.push(new Promise((r) => setImmediate(r)).then(() => worker(signed, LOCAL_INVOCATION)));
    },
  };
  const settled = async () => {
    while (running.length) {
      const now = running;
      running = [];
      await Promise.all(now);
    }
  };
  const ingress: IngressDeps = { secrets: () => params.slackSecrets(), policies: params, queue, log: o.log, clock };

  const watch = createWatch({
    policies: params,
    credentials: params,
    swarmFor: deps.swarmFor,
    chat,
    log: o.log,
    clock,
    claims: deps.claims,
    incidents,
    rollouts,
    botToken: () => params.botToken(),
    // one person reading, not a channel full: no pause between posts
    timing: { postIntervalMs: 0 },
  });

  /** The click as the ingress reads it from Slack's payload: the message's blocks carry the signed request for a Deny. */
  function blockAction(c: Click): { body: BlockActions; action: ClickedAction } {
    const elements = c.buttons.flatMap((b) => [
      ...b.buttons.map((x) => ({ type: 'button', action_id: x.actionId, value: x.value })),
      ...(b.select ? [{ type: 'static_select', action_id: b.select.actionId }] : []),
    ]);
    const action: ClickedAction = c.selected !== undefined ? { action_id: c.actionId, selected_option: { value: c.selected } } : { action_id: c.actionId, value: c.value };
    const body: BlockActions = {
      type: 'block_actions',
      user: { id: c.user, ...(c.team ? { team_id: c.team } : {}) },
      channel: { id: c.channel },
      container: { channel_id: c.channel, message_ts: c.ts },
      message: { ts: c.ts, blocks: [{ type: 'actions', elements }] },
      actions: [action],
      response_url: chat.responseUrl(c.channel, c.user),
    };
    return { body, action };
  }

  return {
    params,
    chat,
    settled,
    /** where the table is kept (undefined: in memory), and who holds the folder asked for when it could not be used */
    state: { keptIn: dynamo.keptIn, busyBy: dynamo.busyBy },
    /** `/swarm <text>` typed by `user` in `channel`: the acknowledgement, with the work still running */
    async slash(text: string, user: string, channel: string, team?: string): Promise<string> {
      const ack = await acceptCommand(ingress, { text, user_id: user, channel_id: channel, ...(team ? { team_id: team } : {}), response_url: chat.responseUrl(channel, user) });
      return ack.text;
    },
    /** Approve, a Deny reason, or a watch alert's button; what to tell the clicker when the click was not handed on */
    async click(c: Click): Promise<string | undefined> {
      const { body, action } = blockAction(c);
      if (c.actionId.startsWith(`${ALERT_ACTION}-`)) return acceptAlertClick(ingress, body, action, await params.botToken());
      await acceptDecision(ingress, body, action);
      return undefined;
    },
    /** one pass of the scheduled watch, now */
    watchOnce: () => watch({ id: `local-${clock.now().getTime()}` }),
    async close() {
      await settled();
      idempotencyClient.destroy();
      await dynamo.close();
    },
  };
}
