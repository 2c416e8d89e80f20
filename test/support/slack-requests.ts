/** Builders for Slack's signed HTTP requests, as API Gateway (HTTP API, payload v2) delivers them. */
import { createHmac } from 'node:crypto';

export function sign(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { timestamp, signature };
}

export function apiGatewayEvent(body: string, headers: Record<string, string>) {
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
    isBase64Encoded: false,
  };
}

export interface SlashOptions {
  text: string;
  user?: string;
  channel?: string;
  responseUrl: string;
  secret: string;
  /** seconds since the epoch; defaults to now */
  timestamp?: number;
  /** sign with this instead of the real secret */
  forgeWith?: string;
}

export function slashCommandEvent(o: SlashOptions) {
  const body = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'acme',
    channel_id: o.channel ?? 'C0PRODOPS',
    channel_name: 'prod-ops',
    user_id: o.user ?? 'U0OPS',
    user_name: 'ops',
    command: '/swarm',
    text: o.text,
    api_app_id: 'A0APP',
    response_url: o.responseUrl,
    trigger_id: '1.2.3',
  }).toString();
  const { timestamp, signature } = sign(o.forgeWith ?? o.secret, body, o.timestamp);
  return apiGatewayEvent(body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature });
}

export function blockActionEvent(o: {
  actionId: string;
  /** a button's value */
  value?: string;
  /** a menu's chosen option (then the action is a static_select) */
  selected?: string;
  /** the message's blocks, as Slack sends them with every click */
  messageBlocks?: unknown[];
  user: string;
  channel?: string;
  messageTs?: string;
  responseUrl: string;
  secret: string;
  timestamp?: number;
}) {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'acme' },
    user: { id: o.user, username: o.user.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: o.messageTs ?? '1700000001.000100', channel_id: o.channel ?? 'C0PRODOPS', is_ephemeral: false },
    trigger_id: '1.2.3',
    channel: { id: o.channel ?? 'C0PRODOPS', name: 'prod-ops' },
    message: { ts: o.messageTs ?? '1700000001.000100', type: 'message', text: 'approval', blocks: o.messageBlocks ?? [] },
    response_url: o.responseUrl,
    actions: [
      o.selected !== undefined
        ? { type: 'static_select', action_id: o.actionId, block_id: 'approval', selected_option: { text: { type: 'plain_text', text: o.selected }, value: o.selected }, action_ts: String(Date.now() / 1000) }
        : { type: 'button', action_id: o.actionId, block_id: 'approval', value: o.value, action_ts: String(Date.now() / 1000) },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const { timestamp, signature } = sign(o.secret, body, o.timestamp);
  return apiGatewayEvent(body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature });
}
