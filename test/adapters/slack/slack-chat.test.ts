import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackChat } from '../../../src/adapters/slack/slack-chat.js';
import { reply } from '../../../src/domain/reply.js';
import { startSlackStandIn } from '../../support/stand-ins.js';

let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(() => slack.close());

const chat = () => new SlackChat('xoxb-test', { slackApiUrl: slack.apiUrl, responseUrlPrefixes: [`${slack.url}/respond/`] });
const answer = reply('Nodes', 'ok', [{ kind: 'text', text: 'all ready' }]);

describe('SlackChat (real WebClient, local Slack stand-in)', () => {
  it('renders a reply for a response_url: visibility as response_type, replace_original only when asked', async () => {
    const c = chat();
    await c.respond(slack.responseUrl('r1'), answer);
    await c.respond(slack.responseUrl('r2'), reply('No', 'error', [{ kind: 'text', text: 'refused' }], 'ephemeral'), { replaceOriginal: true });
    const [first, second] = slack.responses.slice(-2);
    expect(first).toMatchObject({ id: 'r1', body: { response_type: 'in_channel', text: ':large_green_circle: Nodes — all ready' } });
    expect(first!.body).not.toHaveProperty('replace_original');
    expect((first!.body['blocks'] as Array<{ type: string }>)[0]!.type).toBe('header');
    expect(second).toMatchObject({ id: 'r2', body: { response_type: 'ephemeral', replace_original: true } });
  });

  it('posts and updates with Block Kit, in a thread when asked', async () => {
    const c = chat();
    const { ts } = await c.post('C0OPS', answer);
    await c.post('C0OPS', answer, { threadTs: ts });
    await c.update('C0OPS', ts, reply('Nodes', 'warn', [{ kind: 'text', text: 'one down' }]));
    const [post, threaded, update] = slack.posts.slice(-3);
    expect(post).toMatchObject({ method: 'chat.postMessage', body: { channel: 'C0OPS', text: ':large_green_circle: Nodes — all ready' } });
    expect(post!.body).not.toHaveProperty('thread_ts');
    expect(threaded).toMatchObject({ method: 'chat.postMessage', body: { thread_ts: ts } });
    expect(update).toMatchObject({ method: 'chat.update', body: { channel: 'C0OPS', ts, text: ':large_yellow_circle: Nodes — one down' } });
    expect((update!.body['blocks'] as Array<{ type: string }>).map((b) => b.type)).toEqual(['header', 'section']);
  });

  it.each([
    ['https://evil.example/respond/T0/123/secret', 'https://evil.example'],
    ['http://hooks.slack.com/actions/T0/123/secret', 'http://hooks.slack.com'],
    ['https://hooks.slack.com.evil.example/actions/T0/123/secret', 'https://hooks.slack.com.evil.example'],
    ['https://hooks.slack.com@evil.example/actions/T0/123/secret', 'https://evil.example'],
    ['https://hooks.slack.com:8443/actions/T0/123/secret', 'https://hooks.slack.com:8443'],
  ])('refuses %s, naming the host and never the path', async (url, host) => {
    const before = slack.responses.length;
    const err = await chat().respond(url, answer).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`on ${host}:`);
    expect(err!.message).not.toContain('secret');
    expect(err!.message).not.toContain('T0/123');
    expect(slack.responses.length).toBe(before);
  });

  it('refuses the stand-in too unless its prefix was given, and paths beside the prefix', async () => {
    const strict = new SlackChat('xoxb-test', { slackApiUrl: slack.apiUrl });
    await expect(strict.respond(slack.responseUrl('r3'), answer)).rejects.toThrow(`Refused to post to a response_url on ${slack.url}:`);
    await expect(chat().respond(`${slack.url}/respondent/x`, answer)).rejects.toThrow(/Refused/);
    await expect(chat().respond(`${slack.url}/api/chat.postMessage`, answer)).rejects.toThrow(/Refused/);
    await expect(chat().respond('not a url', answer)).rejects.toThrow('Refused a response_url that is not a URL');
  });

  it('a prefix without a trailing slash covers its own path and below, not names that merely start with it', async () => {
    const c = new SlackChat('xoxb-test', { slackApiUrl: slack.apiUrl, responseUrlPrefixes: [`${slack.url}/respond`] });
    await c.respond(slack.responseUrl('r4'), answer);
    expect(slack.responses.at(-1)!.id).toBe('r4');
    await expect(c.respond(`${slack.url}/respondent/x`, answer)).rejects.toThrow(/Refused/);
  });
});
