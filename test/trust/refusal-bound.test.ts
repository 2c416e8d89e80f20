/**
 * Issue 21, finding 7: every refusal at the ingress started a worker run
 * (an audit job) and wrote an item kept 400 days, so a no-role user could
 * flood the worker's reserved concurrency. Refusals are now bounded per user
 * before anything is handed to the worker; each one is still logged and
 * still answered.
 */
import { describe, expect, it } from 'vitest';
import { createSlackHandler } from '../../src/app/ingress.js';
import { FakeQueue, MemoryLog, policies, testPolicy } from '../support/fakes.js';
import { slashCommandEvent } from '../support/slack-requests.js';

const SECRET = 'refusal-signing-secret';
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'warn' as never, setName() {} };

function ingress() {
  const queue = new FakeQueue();
  const log = new MemoryLog();
  let now = Date.now();
  const handler = createSlackHandler({ secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-t', botUserId: 'U0BOT' }), policies: policies(testPolicy()), queue, log, boltLogger: quiet, clock: { now: () => new Date(now) } });
  return { queue, log, handler, later: (ms: number) => (now += ms) };
}

let n = 0;
const refused = (user: string) => slashCommandEvent({ text: 'rotate worker', secret: SECRET, user, channel: 'C0PRODOPS', responseUrl: `https://hooks.slack.com/commands/T0TEAM/${++n}/r` });

describe('refusals at the ingress', () => {
  it('hand at most a few audit jobs a minute to the worker per user; each is still logged and answered', async () => {
    const { queue, log, handler } = ingress();
    for (let i = 0; i < 50; i++) {
      const res = await handler(refused('U0NOROLE') as never, {});
      expect(res.statusCode).toBe(200);
      expect(String(res.body)).toMatch(/operator/);
    }
    expect(queue.jobs.length).toBeGreaterThan(0);
    expect(queue.jobs.length).toBeLessThanOrEqual(5);
    expect(log.lines.filter((l) => l.message === 'command refused at ingress')).toHaveLength(50);
    expect(log.lines.filter((l) => l.message === 'refusal not handed to the audit: over the per-user limit').length).toBe(50 - queue.jobs.length);
  });

  it("one user's flood does not silence another's refusals, and the bound refills with time", async () => {
    const { queue, handler, later } = ingress();
    for (let i = 0; i < 20; i++) await handler(refused('U0FLOOD') as never, {});
    const flood = queue.jobs.length;
    await handler(refused('U0OTHER') as never, {});
    expect(queue.jobs.length).toBe(flood + 1);
    later(60_000);
    await handler(refused('U0FLOOD') as never, {});
    expect(queue.jobs.length).toBe(flood + 2);
  });
});
