import { randomBytes } from 'node:crypto';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { parseCommand } from '../commands/parse.js';
import { requireRole, resolveCluster } from '../config/policy.js';
import { describeError, isUserFacing, PermissionError } from '../errors.js';
import type { AuditJob, CommandJob } from '../jobs.js';
import type { Log } from '../log.js';
import type { Clock, JobQueue, PolicyStore, SlackSecrets } from '../ports.js';

export interface IngressDeps {
  secrets: () => Promise<SlackSecrets>;
  policies: PolicyStore;
  queue: JobQueue;
  log: Log;
  clock: Clock;
  newRequestId?: () => string;
}

export type SlackHandler = (event: AwsEvent, context: unknown) => Promise<AwsResponse>;

export const newRequestId = (): string => randomBytes(6).toString('base64url');

interface SlashCommand {
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
}

/**
 * The acknowledgement path: parse, authorize, hand the job to the worker,
 * answer. Bolt's Lambda receiver replies only when this returns, so nothing
 * here waits for Docker or Slack's Web API.
 */
export async function acceptCommand(deps: IngressDeps, command: SlashCommand): Promise<{ response_type: 'ephemeral'; text: string }> {
  const requestId = (deps.newRequestId ?? newRequestId)();
  const text = command.text.trim();
  const say = (t: string) => ({ response_type: 'ephemeral' as const, text: t });
  let commandName = text.split(/\s+/)[0] || 'help';
  try {
    const parsed = parseCommand(text);
    commandName = parsed.name;
    const policy = await deps.policies.policy();
    try {
      requireRole(policy, command.user_id, parsed.spec.role, `run \`/swarm ${parsed.name}\``);
    } catch (err) {
      if (err instanceof PermissionError) {
        const audit: AuditJob = {
          kind: 'audit',
          event: {
            requestId,
            at: deps.clock.now().toISOString(),
            user: command.user_id,
            command: text.slice(0, 200),
            outcome: 'refused',
            detail: `Refused: lacks the ${parsed.spec.role} role.`,
          },
        };
        await deps.queue.enqueue(audit).catch((e) => deps.log.error('audit hand-off failed', { requestId, error: describeError(e) }));
      }
      throw err;
    }
    const cluster = resolveCluster(policy, command.channel_id, parsed.args.cluster);
    const job: CommandJob = {
      kind: 'command',
      requestId,
      text,
      command: parsed.name,
      cluster,
      user: command.user_id,
      channel: command.channel_id,
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

/** Builds the Bolt app on the first request (its signing secret lives in SSM), then reuses it. */
export function createSlackHandler(deps: IngressDeps): SlackHandler {
  let ready: Promise<SlackHandler> | undefined;

  async function build(): Promise<SlackHandler> {
    const { signingSecret, botToken, botUserId } = await deps.secrets();
    const receiver = new AwsLambdaReceiver({ signingSecret, logLevel: LogLevel.WARN });
    // authorize with the stored bot user id, so no auth.test call is made on a cold start
    const app = new App({ receiver, authorize: async () => ({ botToken, botUserId }), logLevel: LogLevel.WARN });
    app.command('/swarm', async ({ command, ack }) => {
      await ack(await acceptCommand(deps, command));
    });
    return receiver.toHandler() as SlackHandler;
  }

  return async (event, context) => {
    ready ??= build().catch((err) => {
      ready = undefined;
      throw err;
    });
    return (await ready)(event, context);
  };
}
