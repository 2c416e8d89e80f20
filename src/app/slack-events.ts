/**
 * What the ingress accepts from Slack, once Bolt's AwsLambdaReceiver has
 * verified the request: a `/swarm` slash command, or a click on one of our
 * buttons. Each payload is read with zod (only the fields we use), and handed
 * to its listener with the receiver's `ack`.
 *
 * This stands where Bolt's `App` would. The receiver calls nothing but
 * `processEvent` on the app it is given (bolt-js
 * `src/receivers/AwsLambdaReceiver.ts`), and the acknowledgement needs none
 * of what `App` brings besides routing: no Web API client, no OAuth, no other
 * receivers. Leaving it out is most of why a cold start acknowledges sooner
 * than a bare Bolt app (`npm run bench`).
 */
// Bolt's public exports only. In the bundles, build/esbuild-plugins.cjs answers `@slack/bolt` (from src/) with the
// receiver alone, not Bolt's index: that would load App, its Web API client, OAuth and every other receiver
import { AwsLambdaReceiver, type App, type ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';

/** Bolt's Lambda receiver (ingress and its test take it from here). */
export { AwsLambdaReceiver };

/** The Lambda event and response of Bolt's receiver (its handler's, as Bolt's index exports neither type by name). */
type LambdaHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
export type AwsEvent = Parameters<LambdaHandler>[0];
export type AwsResponse = Awaited<ReturnType<LambdaHandler>>;

const slashCommand = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  team_id: z.string().optional(),
  response_url: z.string().url(),
});

const clickedAction = z.object({
  action_id: z.string(),
  value: z.string().optional(),
  selected_option: z.object({ value: z.string() }).passthrough().nullish(),
});

const blockActions = z.object({
  type: z.literal('block_actions'),
  // an org-wide (Enterprise Grid) install may send nulls where a workspace sends values
  user: z.object({ id: z.string().min(1), team_id: z.string().nullish() }),
  channel: z.object({ id: z.string() }).nullish(),
  // a click on an ephemeral message has no `message`, only its container
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).passthrough().nullish(),
  message: z.object({ ts: z.string().optional(), blocks: z.array(z.unknown()).optional() }).passthrough().nullish(),
  response_url: z.string().url(),
  actions: z.array(clickedAction).min(1),
});

export type SlashCommand = z.infer<typeof slashCommand>;
export type BlockActions = z.infer<typeof blockActions>;
export type ClickedAction = z.infer<typeof clickedAction>;

type Ack = ReceiverEvent['ack'];

/** What the receiver knows of the HTTP request besides its body (`customProperties`): the id derived from it, when there is one. */
export interface RequestMeta {
  requestId?: string;
}

export interface SlackListeners {
  /** the slash command's name, e.g. `/swarm` or a per-stage `/swarm-staging` */
  command: { name: RegExp; run: (command: SlashCommand, ack: Ack, meta: RequestMeta) => Promise<void> };
  /** clicks, by action id: the first listener whose pattern matches runs */
  actions: Array<{ actionId: RegExp; run: (body: BlockActions, action: ClickedAction, ack: Ack, meta: RequestMeta) => Promise<void> }>;
}

/**
 * Something other than our command or buttons, or a payload without the fields they need: not acknowledged, so the
 * receiver answers 404, as it did behind Bolt's App. (The app subscribes to no Events API events, so no
 * `event_callback` is expected.)
 */
export type Unrouted = { why: 'unknown' | 'malformed'; detail: string };

export interface RouterHooks {
  /** what no listener takes */
  unrouted: (u: Unrouted) => void;
  /** a listener threw; `acked` says whether Slack already has its answer (then it gets it, else a 500) */
  failed: (err: unknown, acked: boolean) => void;
}

/**
 * The app the receiver drives: routes each verified request to its listener.
 * The hooks hear about what no listener takes and what a listener threw (the
 * receiver itself would log only that something failed, without the cause).
 */
export function slackRouter(listeners: SlackListeners, hooks: RouterHooks): App {
  async function route(body: ReceiverEvent['body'], ack: Ack, meta: RequestMeta): Promise<void> {
    if (typeof body['command'] === 'string') {
      if (!listeners.command.name.test(body['command'])) return hooks.unrouted({ why: 'unknown', detail: `command ${body['command'].slice(0, 40)}` });
      const command = slashCommand.safeParse(body);
      if (!command.success) return hooks.unrouted({ why: 'malformed', detail: describe(command.error) });
      return listeners.command.run(command.data, ack, meta);
    }
    if (body['type'] === 'block_actions') {
      const click = blockActions.safeParse(body);
      if (!click.success) return hooks.unrouted({ why: 'malformed', detail: describe(click.error) });
      const action = click.data.actions[0]!;
      const listener = listeners.actions.find((l) => l.actionId.test(action.action_id));
      if (!listener) return hooks.unrouted({ why: 'unknown', detail: `action ${action.action_id.slice(0, 60)}` });
      return listener.run(click.data, action, ack, meta);
    }
    return hooks.unrouted({ why: 'unknown', detail: `payload type ${String(body['type'] ?? 'none').slice(0, 40)}` });
  }

  async function processEvent({ body, ack, customProperties }: ReceiverEvent): Promise<void> {
    let acked = false;
    const requestId = customProperties?.['requestId'];
    try {
      await route(
        body,
        async (response) => {
          await ack(response);
          acked = true;
        },
        typeof requestId === 'string' ? { requestId } : {},
      );
    } catch (err) {
      hooks.failed(err, acked);
      // answered already: Slack keeps that answer; otherwise the receiver turns the throw into a 500
      if (!acked) throw err;
    }
  }
  // the receiver's type asks for an App; it only ever calls processEvent
  const app: Pick<App, 'processEvent'> = { processEvent };
  return app as App;
}

const describe = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
