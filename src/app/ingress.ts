import { createHash, randomBytes } from 'node:crypto';
import type { Logger, LogLevel } from '@slack/bolt';
import { APPROVE_ACTION, DENY_ACTION } from '../domain/approval.js';
import { signJob } from '../domain/job-signature.js';
import { ALERT_ACTION, verifyAlertButton } from '../domain/alert-button.js';
import { sanitizeMrkdwn } from '../render/escape.js';
import { parseCommand } from '../commands/parse.js';
import { authorize, resolveCluster } from '../config/policy.js';
import { describeError, isUserFacing, PermissionError } from '../errors.js';
import type { AuditJob, CommandJob, DecisionJob } from '../jobs.js';
import type { Log } from '../log.js';
import type { Clock, JobQueue, PolicyStore, SlackSecrets } from '../ports.js';
import { refusalBudget, type RefusalBudget } from './refusal-budget.js';
import { AwsLambdaReceiver, slackRouter, type AwsEvent, type AwsResponse, type BlockActions, type ClickedAction, type SlashCommand } from './slack-events.js';

export interface IngressDeps {
  secrets: () => Promise<SlackSecrets>;
  policies: PolicyStore;
  queue: JobQueue;
  log: Log;
  clock: Clock;
  newRequestId?: () => string;
  /** how many refusals per user become audit jobs (a worker run each); unbounded when absent (createSlackHandler sets one) */
  refusals?: RefusalBudget;
  /** Bolt's own log lines, in our JSON format */
  boltLogger?: Logger;
}

export type SlackHandler = (event: AwsEvent, context: unknown) => Promise<AwsResponse>;

/** Slack's own window is 5 minutes; a request stamped further ahead was not sent now */
const FUTURE_SKEW_MS = 5 * 60_000;

export const newRequestId = (): string => randomBytes(6).toString('base64url');

const header = (headers: Record<string, string | undefined> | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * The request id of a Slack request, derived from the request itself: its
 * timestamp and signature (which covers the body). The same signed request
 * delivered again, a replay within Bolt's 5 minutes included, gets the same
 * id, so the worker's ledger (keyed by it) acts once; two requests never
 * share a signature. Undefined for a request without them (Bolt refuses it).
 */
export function requestIdOf(headers: Record<string, string | undefined> | undefined): string | undefined {
  const timestamp = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (!timestamp || !signature) return undefined;
  return createHash('sha256').update(`swarm-ops request id v1\0${timestamp}\0${signature}`).digest().subarray(0, 6).toString('base64url');
}

/**
 * The acknowledgement path: parse, authorize, hand the job to the worker,
 * answer. Bolt's Lambda receiver replies only when this returns, so nothing
 * here waits for Docker or Slack's Web API.
 */
export async function acceptCommand(deps: IngressDeps, command: Omit<SlashCommand, 'command'>, fromSlack?: string): Promise<{ response_type: 'ephemeral'; text: string }> {
  // the Slack request's own id (a replay gets the same), else a fresh one (the terminal, tests)
  const requestId = fromSlack ?? (deps.newRequestId ?? newRequestId)();
  const text = command.text.trim();
  // the acknowledgement is mrkdwn too: whatever it echoes can't ping anyone
  const say = (t: string) => ({ response_type: 'ephemeral' as const, text: sanitizeMrkdwn(t) });
  let commandName = text.split(/\s+/)[0] || 'help';
  try {
    const parsed = parseCommand(text);
    commandName = parsed.name;
    const policy = await deps.policies.policy();
    // an unknown or malformed --cluster is a usage error: refused before anything is audited
    const cluster = resolveCluster(policy, command.channel_id, parsed.args.cluster);
    try {
      authorize(policy, { user: command.user_id, channel: command.channel_id, team: command.team_id }, cluster, parsed.spec.role, `run \`/swarm ${parsed.name}\``);
    } catch (err) {
      // bounded per user before any worker run: over the bound, the refusal is logged (below) and answered, not handed on
      if (err instanceof PermissionError && deps.refusals && !deps.refusals.take(command.user_id, deps.clock.now().getTime())) {
        deps.log.warn('refusal not handed to the audit: over the per-user limit', { requestId, user: command.user_id, command: commandName });
      } else if (err instanceof PermissionError) {
        const audit: AuditJob = {
          kind: 'audit',
          event: {
            requestId,
            at: deps.clock.now().toISOString(),
            user: command.user_id,
            command: text.slice(0, 200),
            cluster,
            outcome: 'refused',
            detail: `Refused at the ingress: ${err.message}`.slice(0, 2000),
          },
          issuedAt: deps.clock.now().toISOString(),
        };
        await deps.queue.enqueue(audit).catch((e) => deps.log.error('audit hand-off failed', { requestId, error: describeError(e) }));
      }
      throw err;
    }
    const job: CommandJob = {
      kind: 'command',
      requestId,
      text,
      command: parsed.name,
      cluster,
      user: command.user_id,
      channel: command.channel_id,
      ...(command.team_id ? { team: command.team_id } : {}),
      responseUrl: command.response_url,
      issuedAt: deps.clock.now().toISOString(),
    };
    await deps.queue.enqueue(job);
    deps.log.info('command accepted', { requestId, command: parsed.name, cluster, user: command.user_id });
    const dry = parsed.args['dry-run'] ? ' (dry run: nothing will change)' : '';
    return say(`:hourglass_flowing_sand: Working on \`/swarm ${parsed.name}\` for \`${cluster}\`${dry}… (request \`${requestId}\`)`);
  } catch (err) {
    if (isUserFacing(err)) {
      deps.log.info('command refused at ingress', { requestId, command: commandName, user: command.user_id, error: describeError(err) });
      return say(`:warning: ${err.message}`);
    }
    deps.log.error('ingress failed', { requestId, command: commandName, user: command.user_id, error: describeError(err) });
    return say(`:x: swarm-ops could not take that command right now. Quote request id \`${requestId}\` to your platform team.`);
  }
}

/** The signed request in the message's Approve button (a Deny menu choice carries only its reason). */
function signedValue(body: BlockActions): string | undefined {
  for (const block of (body.message?.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>) {
    const approve = block.elements?.find((e) => e.action_id === APPROVE_ACTION);
    if (approve?.value) return approve.value;
  }
  return undefined;
}

/** An Approve click or a Deny choice: handed to the worker, which checks the signed value and the clicker. */
export async function acceptDecision(deps: IngressDeps, body: BlockActions, action: ClickedAction, fromSlack?: string): Promise<void> {
  const requestId = fromSlack ?? (deps.newRequestId ?? newRequestId)();
  const channel = body.channel?.id ?? body.container?.channel_id;
  const messageTs = body.message?.ts ?? body.container?.message_ts;
  const approve = action.action_id === APPROVE_ACTION;
  const value = approve ? action.value : signedValue(body);
  const reason = approve ? undefined : action.selected_option?.value;
  if (!channel || !messageTs || !value) {
    deps.log.warn('decision without a message or a request', { requestId, user: body.user.id });
    return;
  }
  const job: DecisionJob = {
    kind: 'decision',
    requestId,
    decision: approve ? 'approve' : 'deny',
    ...(reason ? { reason: String(reason).slice(0, 40) } : {}),
    value: String(value).slice(0, 2000),
    user: body.user.id,
    channel: String(channel),
    messageTs: String(messageTs),
    ...(body.user.team_id ? { team: body.user.team_id } : {}),
    responseUrl: body.response_url,
    issuedAt: deps.clock.now().toISOString(),
  };
  try {
    await deps.queue.enqueue(job);
    deps.log.info('decision accepted', { requestId, user: body.user.id, decision: job.decision });
  } catch (err) {
    // the click is already acknowledged; Slack shows nothing, so the log is where this surfaces
    deps.log.error('decision hand-off failed', { requestId, user: body.user.id, error: describeError(err) });
  }
}

/**
 * A watch alert's button ("Show status", "Drain", "Remove"): the command in
 * its signed value, handed on as if the person who clicked had typed it in
 * that channel (same parsing, roles and approvals). Returns what to tell the
 * clicker when nothing was handed on.
 */
export async function acceptAlertClick(deps: IngressDeps, body: BlockActions, action: ClickedAction, botToken: string, fromSlack?: string): Promise<string | undefined> {
  const channel = String(body.channel?.id ?? body.container?.channel_id ?? '');
  const value = action.value ?? '';
  const click = verifyAlertButton(value, botToken, deps.clock.now().getTime());
  if (!click.ok || click.channel !== channel) {
    const why = !click.ok ? click.why : 'another channel';
    deps.log.warn('alert button refused', { user: body.user.id, why });
    return why === 'expired'
      ? ':warning: This alert\'s buttons have expired. Type the command instead, e.g. `/swarm status`.'
      : ':warning: That button was not issued by swarm-ops for this channel, or its value was changed. Nothing was done.';
  }
  let handedOn = false;
  const queue: JobQueue = { enqueue: async (job) => ((handedOn ||= job.kind === 'command'), deps.queue.enqueue(job)) };
  const ack = await acceptCommand(
    { ...deps, queue },
    { text: click.command, user_id: body.user.id, channel_id: channel, ...(body.user.team_id ? { team_id: body.user.team_id } : {}), response_url: body.response_url },
    fromSlack,
  );
  return handedOn ? undefined : ack.text;
}

/** Tells the clicker why a click did nothing: ephemeral, through the click's own response URL (it came in Slack's signed request). */
async function tellClicker(deps: IngressDeps, responseUrl: string, text: string): Promise<void> {
  try {
    await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      redirect: 'error',
      signal: AbortSignal.timeout(2000),
    });
  } catch (err) {
    deps.log.warn('could not tell the clicker', { error: describeError(err) });
  }
}

/** Builds Bolt's receiver on the first request (its signing secret lives in SSM), then reuses it. */
export function createSlackHandler(deps: IngressDeps): SlackHandler {
  let ready: Promise<SlackHandler> | undefined;

  async function build(): Promise<SlackHandler> {
    const { signingSecret, botToken } = await deps.secrets();
    // every job leaves signed: the worker runs nothing else
    const signed: IngressDeps = { ...deps, refusals: deps.refusals ?? refusalBudget(), queue: { enqueue: (job) => deps.queue.enqueue(signJob(job, signingSecret)) } };
    const logger = deps.boltLogger;
    const receiver = new AwsLambdaReceiver({
      signingSecret,
      logLevel: 'warn' as LogLevel,
      // each request's own id rides to the listeners (read only once Bolt has verified the signature)
      customPropertiesExtractor: (event) => {
        const requestId = requestIdOf(event.headers as Record<string, string | undefined>);
        return requestId ? { requestId } : {};
      },
      ...(logger ? { logger } : {}),
    });
    receiver.init(
      slackRouter(
        {
          // `/swarm`, or a per-stage name such as `/swarm-staging`
          command: { name: /^\/swarm(-[a-z0-9-]+)?$/, run: async (command, ack, meta) => ack(await acceptCommand(signed, command, meta.requestId)) },
          actions: [
            {
              actionId: new RegExp(`^(${APPROVE_ACTION}|${DENY_ACTION})$`),
              run: async (body, action, ack, meta) => {
                await ack();
                await acceptDecision(signed, body, action, meta.requestId);
              },
            },
            {
              actionId: new RegExp(`^${ALERT_ACTION}-`),
              run: async (body, action, ack, meta) => {
                await ack();
                const refusal = await acceptAlertClick(signed, body, action, botToken, meta.requestId);
                if (refusal) await tellClicker(deps, body.response_url, refusal);
              },
            },
          ],
        },
        {
          unrouted: (unrouted) => deps.log.warn('slack request not taken', unrouted),
          failed: (err, acked) => deps.log.error('slack listener failed', { acked, error: describeError(err) }),
        },
      ),
    );
    return receiver.toHandler() as SlackHandler;
  }

  return async (event, context) => {
    // Bolt refuses requests older than 5 minutes but not ones from the future: a replay window both ways is closed here
    // (and within it, a replay gets its original's request id: see requestIdOf)
    const stamp = Number(header(event.headers as Record<string, string | undefined>, 'x-slack-request-timestamp'));
    if (Number.isFinite(stamp) && stamp * 1000 > deps.clock.now().getTime() + FUTURE_SKEW_MS) {
      deps.log.warn('refused a request stamped in the future', { skewSeconds: Math.round(stamp - deps.clock.now().getTime() / 1000) });
      return { statusCode: 401, body: '' };
    }
    ready ??= build().catch((err) => {
      ready = undefined;
      throw err;
    });
    return (await ready)(event, context);
  };
}
