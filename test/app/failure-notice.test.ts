/**
 * The worker's on-failure destination, over the fakes: each kind of failed
 * run (a throw, a time-out, never started) tells the person and the audit
 * channel, naming the request id; "nothing was changed" only when known.
 */
import { describe, expect, it } from 'vitest';
import { createFailureNotice } from '../../src/app/failure-notice.js';
import { signJob } from '../../src/domain/job-signature.js';
import { FakeChat, MemoryLog, policies } from '../support/fakes.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const SECRET = 'secret';

function setup(now = NOW) {
  const chat = new FakeChat();
  const log = new MemoryLog();
  const notice = createFailureNotice({
    secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-test', botUserId: 'U0BOT' }),
    policies: policies(),
    chat,
    log,
    clock: { now: () => now },
  });
  return { notice, chat, log };
}

const command = (text: string, o: { requestId?: string; issuedAt?: Date; secret?: string } = {}) =>
  signJob(
    { kind: 'command', requestId: o.requestId ?? 'req1', text, command: text.split(' ')[0]!, cluster: 'prod', user: 'U0OPS', channel: 'C0OPS', responseUrl: 'https://hooks.slack.test/r', issuedAt: (o.issuedAt ?? NOW).toISOString() },
    o.secret ?? SECRET,
  );

/** Lambda's record of a failed asynchronous invocation (described in src/app/failure-notice.ts) */
const failed = (job: unknown, how: 'error' | 'timeout' | 'too-old') => ({
  version: '1.0',
  timestamp: NOW.toISOString(),
  requestContext: {
    requestId: 'aws-req-1',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:swarm-ops-prod-worker:$LATEST',
    condition: how === 'too-old' ? 'EventAgeExceeded' : 'RetriesExhausted',
    approximateInvokeCount: how === 'too-old' ? 0 : 1,
  },
  requestPayload: job,
  ...(how === 'too-old'
    ? {}
    : {
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload:
          how === 'timeout'
            ? { errorMessage: '2026-11-21T10:15:00.000Z aws-req-1 Task timed out after 900.00 seconds' }
            : { errorType: 'TypeError', errorMessage: 'Cannot read properties of undefined (SWMTKN-1-secret)', trace: ['at x'] },
      }),
});

const text = (chat: FakeChat) => JSON.stringify(chat.responses.map((r) => r.message));

describe('the failure notice (the worker\'s on-failure destination)', () => {
  it('a read that threw: the person hears the request id and that nothing was changed; the audit channel hears too', async () => {
    const { notice, chat } = setup();
    await notice(failed(command('status'), 'error'));
    expect(chat.responses).toHaveLength(1);
    expect(chat.responses[0]!.url).toBe('https://hooks.slack.test/r');
    expect(chat.responses[0]!.message.response_type).toBe('ephemeral');
    expect(text(chat)).toContain('req1');
    expect(text(chat)).toMatch(/stopped with an error \(TypeError\)/);
    expect(text(chat)).toMatch(/nothing was changed/i);
    // the worker's error message is not passed on
    expect(text(chat)).not.toContain('Cannot read');
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0AUDIT']);
    expect(JSON.stringify(chat.posts[0]!.message)).toMatch(/failed[\s\S]*req1/);
  });

  it('a change that timed out: outcome unknown, never "nothing was changed"', async () => {
    const { notice, chat } = setup();
    await notice(failed(command('drain w1', { requestId: 'req-drain' }), 'timeout'));
    expect(text(chat)).toContain('req-drain');
    expect(text(chat)).toMatch(/time limit/);
    expect(text(chat)).toMatch(/outcome is unknown/);
    expect(text(chat)).not.toMatch(/nothing was changed/i);
    expect(JSON.stringify(chat.posts[0]!.message)).toMatch(/Outcome unknown/);
  });

  it('a change that never started (throttled until too old): nothing was changed, known', async () => {
    const { notice, chat } = setup(new Date(NOW.getTime() + 14 * 60_000));
    await notice(failed(command('drain w1'), 'too-old'));
    expect(text(chat)).toMatch(/never started/);
    expect(text(chat)).toMatch(/Nothing was changed/);
  });

  it('a decision that failed goes to its click\'s response_url without replacing the request message', async () => {
    const { notice, chat } = setup();
    const decision = signJob({ kind: 'decision', requestId: 'req-d', decision: 'approve', value: 'v', user: 'U0APPROVE', channel: 'C0OPS', messageTs: '1.0001', responseUrl: 'https://hooks.slack.test/click', issuedAt: NOW.toISOString() }, SECRET);
    await notice(failed(decision, 'error'));
    expect(chat.responses[0]).toMatchObject({ url: 'https://hooks.slack.test/click', message: { replace_original: false } });
    expect(text(chat)).toMatch(/approval of request/);
    expect(text(chat)).toMatch(/outcome is unknown/);
  });

  it('an audit event the worker could not record is posted to the audit channel from here', async () => {
    const { notice, chat } = setup();
    const audit = signJob({ kind: 'audit', event: { requestId: 'req-a', at: NOW.toISOString(), user: 'U0NOBODY', command: 'drain w1', outcome: 'refused', detail: 'You need the operator role' }, issuedAt: NOW.toISOString() }, SECRET);
    await notice(failed(audit, 'error'));
    expect(chat.responses).toEqual([]);
    expect(chat.posts.map((p) => p.channel)).toEqual(['C0AUDIT']);
    expect(JSON.stringify(chat.posts[0]!.message)).toMatch(/refused[\s\S]*req-a/);
  });

  it('trusts a response_url only from a job the ingress signed: a forged or stale one tells nobody', async () => {
    const { notice, chat, log } = setup();
    await notice(failed(command('status', { secret: 'not-the-secret' }), 'error'));
    await notice(failed(command('status', { issuedAt: new Date(NOW.getTime() - 60 * 60_000) }), 'error'));
    await notice(failed({ ...command('status'), responseUrl: 'https://evil.test/x' }, 'error'));
    await notice({ hello: 'not a destination record' });
    expect(chat.responses).toEqual([]);
    expect(chat.posts).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(4);
  });

  it('a job signed up to 35 minutes ago is still told (it waited up to 14 and ran up to 15)', async () => {
    const { notice, chat } = setup(new Date(NOW.getTime() + 30 * 60_000));
    await notice(failed(command('status'), 'timeout'));
    expect(chat.responses).toHaveLength(1);
  });

  it('when the person cannot be told, it throws (Lambda retries it, its alarm fires)', async () => {
    const { notice, chat } = setup();
    chat.respond = async () => Promise.reject(new Error('Slack is down'));
    await expect(notice(failed(command('status'), 'error'))).rejects.toThrow(/Slack is down/);
  });
});
