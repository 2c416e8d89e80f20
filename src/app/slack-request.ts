/**
 * Slack's signed HTTP requests as API Gateway (HTTP API, payload 2.0) hands
 * them to the `slack` function: verified and parsed here, with no framework.
 * The ingress answers two kinds, slash commands and clicks on the bot's
 * buttons (`block_actions`), and Slack's `ssl_check`; Bolt's App and
 * receiver were most of the cold start for those few lines.
 *
 * Verification as Slack documents it ("Verifying requests from Slack"):
 * `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret,
 * compared in constant time, and a timestamp within 5 minutes of now, in
 * both directions (a request stamped ahead was not sent now either).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BlockAction } from '@slack/bolt';

/** Slack's window for a request's age, both ways */
export const MAX_SKEW_S = 5 * 60;

export interface SlackHttpEvent {
  headers?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface SlashCommand {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  team_id?: string;
  response_url: string;
}

export type SlackRequest =
  | { kind: 'command'; command: SlashCommand }
  | { kind: 'block_actions'; body: BlockAction }
  | { kind: 'ssl_check' }
  | { kind: 'other' };

export function header(event: SlackHttpEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}

export function rawBody(event: SlackHttpEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

export type Verification = { ok: true } | { ok: false; why: 'unsigned' | 'stale' | 'ahead' | 'bad signature' };

/** Is this request signed by Slack with `signingSecret`, and sent within 5 minutes of `nowMs`? */
export function verifySlackRequest(event: SlackHttpEvent, signingSecret: string, nowMs: number): Verification {
  const stamp = header(event, 'x-slack-request-timestamp');
  const signature = header(event, 'x-slack-signature');
  if (!stamp || !signature || !/^\d{1,12}$/.test(stamp)) return { ok: false, why: 'unsigned' };
  const age = nowMs / 1000 - Number(stamp);
  if (age > MAX_SKEW_S) return { ok: false, why: 'stale' };
  if (age < -MAX_SKEW_S) return { ok: false, why: 'ahead' };
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${stamp}:${rawBody(event)}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, why: 'bad signature' };
}

/** What a verified request asks for. Anything else (Events API JSON, other interactions) is `other`. */
export function parseSlackRequest(event: SlackHttpEvent): SlackRequest {
  if (!/application\/x-www-form-urlencoded/i.test(header(event, 'content-type') ?? '')) return { kind: 'other' };
  const form = new URLSearchParams(rawBody(event));
  if (form.get('ssl_check') === '1') return { kind: 'ssl_check' };
  const payload = form.get('payload');
  if (payload !== null) {
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return { kind: 'other' };
    }
    const b = body as Partial<BlockAction> | null;
    return b?.type === 'block_actions' && Array.isArray(b.actions) && b.actions.length && b.user?.id ? { kind: 'block_actions', body: b as BlockAction } : { kind: 'other' };
  }
  const command = form.get('command');
  const user = form.get('user_id');
  const channel = form.get('channel_id');
  const responseUrl = form.get('response_url');
  if (!command || !user || !channel || !responseUrl) return { kind: 'other' };
  const team = form.get('team_id');
  return { kind: 'command', command: { command, text: form.get('text') ?? '', user_id: user, channel_id: channel, ...(team ? { team_id: team } : {}), response_url: responseUrl } };
}
