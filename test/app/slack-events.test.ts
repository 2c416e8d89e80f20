/**
 * slackRouter behind Bolt's real AwsLambdaReceiver: signed requests in, the
 * listener each one reaches (or the 404 when none takes it), and what a
 * payload without the fields we read does.
 */
import { describe, expect, it } from 'vitest';
import { AwsLambdaReceiver, slackRouter, type SlackListeners, type Unrouted } from '../../src/app/slack-events.js';
import { apiGatewayEvent, blockActionEvent, sign, slashCommandEvent } from '../support/slack-requests.js';

const SECRET = 'router-signing-secret';
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'warn' as never, setName() {} };

function setup() {
  const heard: string[] = [];
  const unrouted: Unrouted[] = [];
  const failed: Array<{ message: string; acked: boolean }> = [];
  const listeners: SlackListeners = {
    command: {
      name: /^\/swarm(-[a-z0-9-]+)?$/,
      run: async (command, ack) => {
        heard.push(`command ${command.text} by ${command.user_id} in ${command.channel_id}`);
        await ack({ response_type: 'ephemeral', text: `ok ${command.text}` });
      },
    },
    actions: [
      { actionId: /^swarm-ops-approve$/, run: async (body, action, ack) => (heard.push(`approve ${action.value} by ${body.user.id}`), ack()) },
      { actionId: /^swarm-ops-deny$/, run: async (_body, action, ack) => (heard.push(`deny ${action.selected_option?.value}`), ack()) },
      // throws after answering, or before
      {
        actionId: /^boom-(after|before)$/,
        run: async (_body, action, ack) => {
          if (action.action_id === 'boom-after') await ack();
          throw new Error(`listener broke (${action.action_id})`);
        },
      },
    ],
  };
  const receiver = new AwsLambdaReceiver({ signingSecret: SECRET, logger: quiet });
  receiver.init(slackRouter(listeners, { unrouted: (u) => unrouted.push(u), failed: (err, acked) => failed.push({ message: (err as Error).message, acked }) }));
  return { handler: receiver.toHandler(), heard, unrouted, failed };
}

const signedForm = (fields: Record<string, string>) => {
  const body = new URLSearchParams(fields).toString();
  const { timestamp, signature } = sign(SECRET, body);
  return apiGatewayEvent(body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature });
};

describe('slackRouter behind AwsLambdaReceiver', () => {
  it('hands a signed /swarm command to the command listener and answers with its ack', async () => {
    const { handler, heard } = setup();
    const res = await handler(slashCommandEvent({ text: 'status', secret: SECRET, responseUrl: 'https://hooks.slack.com/commands/T0/1/x' }) as never, {});
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ response_type: 'ephemeral', text: 'ok status' });
    expect(heard).toEqual(['command status by U0OPS in C0PRODOPS']);
  });

  it('routes clicks by action id: an Approve button and a Deny menu choice', async () => {
    const { handler, heard } = setup();
    const click = (o: { actionId: string; value?: string; selected?: string }) =>
      handler(blockActionEvent({ ...o, user: 'U0BOB', responseUrl: 'https://hooks.slack.com/actions/T0/1/x', secret: SECRET }) as never, {});
    expect((await click({ actionId: 'swarm-ops-approve', value: 'signed-request' })).statusCode).toBe(200);
    expect((await click({ actionId: 'swarm-ops-deny', selected: 'not-now' })).statusCode).toBe(200);
    expect(heard).toEqual(['approve signed-request by U0BOB', 'deny not-now']);
  });

  it('takes nothing it does not know: another command, another button, an event (404, not acknowledged, said why)', async () => {
    const { handler, heard, unrouted } = setup();
    const other = await handler(signedForm({ command: '/deploy', text: 'x', user_id: 'U1', channel_id: 'C1', response_url: 'https://hooks.slack.com/c/1' }) as never, {});
    const button = await handler(blockActionEvent({ actionId: 'someone-elses-button', value: 'v', user: 'U0BOB', responseUrl: 'https://hooks.slack.com/actions/T0/1/x', secret: SECRET }) as never, {});
    const event = await handler(signedForm({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U1' } }) }) as never, {});
    expect([other.statusCode, button.statusCode, event.statusCode]).toEqual([404, 404, 404]);
    expect(heard).toEqual([]);
    expect(unrouted.map((u) => u.why)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(unrouted.map((u) => u.detail)).toEqual(['command /deploy', 'action someone-elses-button', 'payload type view_submission']);
  });

  it('refuses a /swarm command without the fields the ingress reads, naming them', async () => {
    const { handler, heard, unrouted } = setup();
    const res = await handler(signedForm({ command: '/swarm', text: 'status', channel_id: 'C1', response_url: 'not a url' }) as never, {});
    expect(res.statusCode).toBe(404);
    expect(heard).toEqual([]);
    expect(unrouted).toHaveLength(1);
    expect(unrouted[0]!.why).toBe('malformed');
    expect(unrouted[0]!.detail).toMatch(/user_id: Required/);
    expect(unrouted[0]!.detail).toMatch(/response_url: Invalid url/);
  });

  it('routes a click on an ephemeral message (no message in the payload, only its container)', async () => {
    const { handler, heard } = setup();
    const payload = {
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: null },
      team: null,
      enterprise: { id: 'E0ORG' },
      is_enterprise_install: true,
      container: { type: 'message', message_ts: '1.2', channel_id: 'C0OPS', is_ephemeral: true },
      response_url: 'https://hooks.slack.com/actions/T0/1/x',
      actions: [{ type: 'button', action_id: 'swarm-ops-approve', block_id: 'b', value: 'signed', action_ts: '1' }],
    };
    const res = await handler(signedForm({ payload: JSON.stringify(payload) }) as never, {});
    expect(res.statusCode).toBe(200);
    expect(heard).toEqual(['approve signed by U0BOB']);
  });

  it('says why a listener failed: Slack keeps an answer already given, and gets a 500 when there was none', async () => {
    const { handler, failed } = setup();
    const click = (actionId: string) => handler(blockActionEvent({ actionId, value: 'v', user: 'U0BOB', responseUrl: 'https://hooks.slack.com/actions/T0/1/x', secret: SECRET }) as never, {});
    expect((await click('boom-after')).statusCode).toBe(200);
    expect((await click('boom-before')).statusCode).toBe(500);
    expect(failed).toEqual([
      { message: 'listener broke (boom-after)', acked: true },
      { message: 'listener broke (boom-before)', acked: false },
    ]);
  });

  it('leaves verification to Bolt: a forged signature never reaches a listener', async () => {
    const { handler, heard, unrouted } = setup();
    const res = await handler(slashCommandEvent({ text: 'status', secret: SECRET, forgeWith: 'guess', responseUrl: 'https://hooks.slack.com/commands/T0/1/x' }) as never, {});
    expect(res.statusCode).toBe(401);
    expect(heard).toEqual([]);
    expect(unrouted).toEqual([]);
  });
});
