/**
 * The ingress answers Slack without Bolt: what it accepts besides a plain
 * slash command (base64 bodies, header case, ssl_check, per-stage command
 * names, clicks) and what it refuses or leaves unanswered.
 */
import { describe, expect, it } from 'vitest';
import { createSlackHandler } from '../../src/app/ingress.js';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { parseSlackRequest, verifySlackRequest } from '../../src/app/slack-request.js';
import { FakeQueue, MemoryLog, policies, testPolicy } from '../support/fakes.js';
import { apiGatewayEvent, blockActionEvent, sign, slashCommandEvent } from '../support/slack-requests.js';

const SECRET = 'request-secret';
const handler = () => {
  const queue = new FakeQueue();
  const log = new MemoryLog();
  const h = createSlackHandler({
    secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-t', botUserId: 'U0BOT' }),
    policies: policies(testPolicy()),
    queue,
    log,
    clock: { now: () => new Date() },
  });
  return { h: (e: unknown) => h(e as never, {}), queue, log };
};
const signed = (body: string, headers: Record<string, string> = {}) => {
  const { timestamp, signature } = sign(SECRET, body);
  return apiGatewayEvent(body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature, ...headers });
};
const slash = (over: Record<string, string> = {}) =>
  new URLSearchParams({ command: '/swarm', text: 'status', user_id: 'U0VIEW', channel_id: 'C0OPS', team_id: 'T0', response_url: 'https://hooks.slack.com/commands/1', ...over }).toString();

describe('the ingress without Bolt', () => {
  it('acknowledges /swarm and a per-stage /swarm-staging, with a JSON body', async () => {
    const { h, queue } = handler();
    for (const command of ['/swarm', '/swarm-staging']) {
      const res = await h(signed(slash({ command })));
      expect(res.statusCode).toBe(200);
      expect(res.headers?.['content-type']).toBe('application/json');
      expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Working on `\/swarm status`/) });
    }
    expect(queue.jobs).toHaveLength(2);
  });

  it('reads a base64 body (as API Gateway may send it) and headers in any case', async () => {
    const { h, queue } = handler();
    const body = slash();
    const { timestamp, signature } = sign(SECRET, body);
    const event = { ...apiGatewayEvent(Buffer.from(body).toString('base64'), { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': signature }), isBase64Encoded: true };
    expect((await h(event)).statusCode).toBe(200);
    expect(queue.jobs).toHaveLength(1);
  });

  it('answers Slack\'s ssl_check with 200, another app\'s command or an Events API body with 404, handing nothing on', async () => {
    const { h, queue } = handler();
    expect((await h(signed('ssl_check=1&token=x'))).statusCode).toBe(200);
    expect((await h(signed(slash({ command: '/deploy' })))).statusCode).toBe(404);
    expect((await h(signed(JSON.stringify({ type: 'url_verification', challenge: 'c' }), { 'content-type': 'application/json' }))).statusCode).toBe(404);
    expect((await h(signed('payload=not-json'))).statusCode).toBe(404);
    expect(queue.jobs).toEqual([]);
  });

  it('hands an Approve click on as a decision and answers 200 with an empty body', async () => {
    const { h, queue } = handler();
    const res = await h(blockActionEvent({ actionId: APPROVE_ACTION, value: 'signed-value', user: 'U0APPROVE', responseUrl: 'https://hooks.slack.com/actions/1', secret: SECRET }));
    expect(res).toEqual({ statusCode: 200, body: '' });
    expect(queue.jobs).toEqual([expect.objectContaining({ kind: 'decision', decision: 'approve', value: 'signed-value', user: 'U0APPROVE' })]);
  });

  it('refuses an unsigned, stale or forged request before reading it: 401, logged with the reason', async () => {
    const { h, log } = handler();
    expect((await h(slashCommandEvent({ text: 'status', secret: 'other', responseUrl: 'https://hooks.slack.com/x' }))).statusCode).toBe(401);
    expect((await h(apiGatewayEvent(slash(), {}))).statusCode).toBe(401);
    expect(log.lines.map((l) => l.fields?.['why'])).toEqual(['bad signature', 'unsigned']);
  });
});

describe('verifySlackRequest and parseSlackRequest', () => {
  it('takes a stamp up to 5 minutes off either way and nothing further', () => {
    const body = slash();
    const now = 1_800_000_000_000;
    const at = (offsetS: number) => {
      const { timestamp, signature } = sign(SECRET, body, now / 1000 + offsetS);
      return apiGatewayEvent(body, { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature });
    };
    expect(verifySlackRequest(at(-300), SECRET, now)).toEqual({ ok: true });
    expect(verifySlackRequest(at(300), SECRET, now)).toEqual({ ok: true });
    expect(verifySlackRequest(at(-301), SECRET, now)).toEqual({ ok: false, why: 'stale' });
    expect(verifySlackRequest(at(301), SECRET, now)).toEqual({ ok: false, why: 'ahead' });
  });

  it('reads a command\'s fields and nothing it does not know', () => {
    const r = parseSlackRequest(signed(slash({ text: 'nodes --page 2' })));
    expect(r).toEqual({ kind: 'command', command: { command: '/swarm', text: 'nodes --page 2', user_id: 'U0VIEW', channel_id: 'C0OPS', team_id: 'T0', response_url: 'https://hooks.slack.com/commands/1' } });
    expect(parseSlackRequest(signed(new URLSearchParams({ command: '/swarm', text: 'x' }).toString()))).toEqual({ kind: 'other' });
  });
});
