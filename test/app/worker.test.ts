import { describe, expect, it } from 'vitest';
import { createWorker } from '../../src/app/worker.js';
import { signJob } from '../../src/domain/job-signature.js';
import { APPROVE_ACTION, DENY_ACTION } from '../../src/domain/approval.js';
import { SwarmError } from '../../src/errors.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';
import { credentials, FakeAudit, FakeChat, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies } from '../support/fakes.js';

const NOW = new Date('2026-11-21T10:00:00Z');

function setup(swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() })) {
  const chat = new FakeChat();
  const audit = new FakeAudit();
  const log = new MemoryLog();
  const creds = credentials();
  const state = new MemoryState();
  let now = NOW;
  const run = createWorker({
    ledger: new MemoryLedger(),
    claims: state,
    unlockKeys: new MemoryUnlockKeys(),
    pending: state,
    history: state,
    policies: policies(),
    credentials: creds,
    swarmFor: () => swarm,
    chat,
    audit,
    log,
    clock: { now: () => now },
    signingSecret: async () => 'secret',
  });
  return { run, chat, audit, log, swarm, creds, state, later: (ms: number) => (now = new Date(NOW.getTime() + ms)) };
}

const job = (text: string, user = 'U0OPS', requestId = 'req1') =>
  signJob({ kind: 'command', requestId, text, command: text.split(' ')[0], cluster: 'prod', user, channel: 'C0OPS', responseUrl: 'https://hooks.slack.test/r', issuedAt: NOW.toISOString() }, 'secret');

const buttonValue = (chat: FakeChat) =>
  (chat.posts.at(-1)!.message.blocks.find((b) => b['type'] === 'actions')!['elements'] as Array<{ action_id: string; value: string }>).find((e) => e.action_id === APPROVE_ACTION)!.value;

let clicks = 0;
const click = (value: string, user: string, decision: 'approve' | 'deny' = 'approve', reason?: string, at = NOW) =>
  signJob({ kind: 'decision', requestId: `click-${user}-${++clicks}`, decision, value, user, channel: 'C0OPS', messageTs: '1.0001', responseUrl: 'https://hooks.slack.test/click', issuedAt: at.toISOString(), ...(reason ? { reason } : {}) }, 'secret');

describe('worker', () => {
  it('posts a result to the channel and audits nothing for a read', async () => {
    const { run, chat, audit } = setup();
    await run(job('status', 'U0VIEW'));
    expect(chat.responses[0]!.message.response_type).toBe('in_channel');
    expect(chat.responses[0]!.message.text).toMatch(/Swarm prod: healthy/);
    expect(audit.events).toEqual([]);
  });

  it('audits a change with its outcome and duration', async () => {
    const { run, audit, swarm } = setup();
    await run(job('rotate worker'));
    expect(swarm.changes).toEqual(['rotate worker']);
    expect(audit.events).toEqual([expect.objectContaining({ outcome: 'succeeded', command: 'rotate worker', cluster: 'prod', user: 'U0OPS', requestId: 'req1', durationMs: expect.any(Number) })]);
  });

  it('audits a change as succeeded even when Slack cannot be told', async () => {
    const { run, audit, chat, log } = setup();
    chat.respond = async () => Promise.reject(new Error('response_url expired'));
    await run(job('rotate worker'));
    expect(audit.events).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'could not post to the response URL' }));
  });

  it('repeated delivery of the same job acts once and is audited once', async () => {
    const { run, swarm, audit } = setup();
    const j = job('rotate worker');
    await run(j);
    await run(j);
    expect(swarm.changes).toEqual(['rotate worker']);
    expect(audit.events).toHaveLength(1);
  });

  it('runs only jobs the ingress signed, fresh ones, and posts nothing for the others', async () => {
    const { run, swarm, chat, log, later } = setup();
    const forged = { ...job('rotate worker'), user: 'U0APPROVE' };
    await run(forged);
    await run({ ...job('rotate worker'), sig: undefined });
    const stale = job('rotate worker', 'U0OPS', 'req-old');
    later(16 * 60_000);
    await run(stale);
    expect(swarm.changes).toEqual([]);
    expect(chat.responses).toEqual([]);
    expect(log.lines.filter((l) => l.message === 'refused a job that the ingress did not issue').map((l) => l.fields?.['why'])).toEqual([
      'bad signature',
      'no signature',
      expect.stringMatching(/^stale/),
    ]);
  });

  it('re-checks the role: a policy change since the ingress wins', async () => {
    const { run, chat, audit, swarm } = setup();
    await run(job('rotate worker', 'U0VIEW'));
    expect(chat.responses[0]!.message.response_type).toBe('ephemeral');
    expect(chat.responses[0]!.message.text).toMatch(/operator/);
    expect(audit.events[0]).toMatchObject({ outcome: 'refused' });
    expect(swarm.changes).toEqual([]);
  });

  it('shows a generic line with the request id for unexpected errors and logs the cause', async () => {
    const swarm = new FakeSwarm([]);
    swarm.nodes.list = async () => Promise.reject(new TypeError('boom SWMTKN-1-abcdefghijklmnopqrstuvwxyz0123456789'));
    const { run, chat, log } = setup(swarm);
    await run(job('status', 'U0VIEW'));
    expect(chat.responses[0]!.message.text).toMatch(/Something went wrong on our side. Quote request id `req1`/);
    const logged = JSON.stringify(log.lines);
    expect(logged).toContain('boom');
    expect(logged).not.toMatch(/SWMTKN-1-abc/);
  });

  it('says plainly that a swarm without a leader changed nothing', async () => {
    const swarm = new FakeSwarm([]);
    swarm.nodes.list = async () => Promise.reject(new SwarmError('QUORUM_LOST', 'The swarm has no leader (tcp://a: rpc error ...).'));
    const { run, chat, audit } = setup(swarm);
    await run(job('rotate worker'));
    expect(chat.responses[0]!.message.text).toMatch(/No leader: nothing was changed — The swarm `prod` has no leader \(quorum lost\).*\/swarm status/);
    expect(audit.events[0]).toMatchObject({ outcome: 'refused' });
  });

  it('drops the cached credentials once on a TLS failure and tries again', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true })], { info: daemonInfo() });
    let calls = 0;
    const real = swarm.nodes.list;
    swarm.nodes.list = async () => (++calls === 1 ? Promise.reject(new SwarmError('TLS', 'TLS to the managers failed')) : real());
    const { run, chat, creds } = setup(swarm);
    await run(job('status', 'U0VIEW'));
    expect(creds.invalidated).toEqual(['prod']);
    expect(chat.responses[0]!.message.text).toMatch(/Swarm prod/);
  });

  it('answers help without loading any cluster credentials', async () => {
    const { run, chat, creds } = setup();
    creds.clusterCredentials = async () => Promise.reject(new Error('no credentials should be read for help'));
    await run(job('help overlay', 'U0VIEW'));
    expect(chat.responses[0]!.message.response_type).toBe('ephemeral');
    expect(JSON.stringify(chat.responses[0]!.message.blocks)).toContain('/swarm overlay create &lt;name&gt;');
  });

  it('ignores a malformed job, logging why', async () => {
    const { run, chat, log } = setup();
    await run(signJob({ kind: 'command', text: 'status', issuedAt: NOW.toISOString() }, 'secret'));
    expect(chat.responses).toEqual([]);
    expect(log.lines[0]).toMatchObject({ level: 'error', message: 'rejected a malformed job' });
  });

  describe('two-person rule', () => {
    const withSpare = () => {
      const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3')], { info: daemonInfo() });
      s.daemons.set('tcp://10.0.0.9:2376', daemonInfo({ name: 'new-mgr', localState: 'inactive', endpoint: 'tcp://10.0.0.9:2376' }));
      return setup(s);
    };

    it('posts an approval request with signed buttons, tells the requester, audits the request', async () => {
      const { run, chat, audit, swarm } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      expect(chat.posts[0]!.channel).toBe('C0OPS');
      const blocks = JSON.stringify(chat.posts[0]!.message.blocks);
      expect(blocks).toMatch(/Approval needed: join new-mgr \(tcp:\/\/10.0.0.9:2376\) to prod as a manager/);
      expect(blocks).toMatch(/4 managers is an even number/);
      expect(blocks).toContain(APPROVE_ACTION);
      expect(blocks).toContain(DENY_ACTION);
      expect(chat.responses[0]!.message).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Approval requested/) });
      expect(audit.events).toEqual([expect.objectContaining({ outcome: 'requested' })]);
      expect(swarm.changes).toEqual([]);
    });

    it('refuses the requester\'s own approval and a non-approver; runs once for an approver; a second click does nothing', async () => {
      const { run, chat, audit, swarm } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      const value = buttonValue(chat);
      await run(click(value, 'U0OPS'));
      expect(chat.responses.at(-1)!.message).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringMatching(/can't approve your own request/) });
      await run(click(value, 'U0VIEW'));
      expect(chat.responses.at(-1)!.message.text).toMatch(/Only an approver of `prod` can approve/);
      expect(swarm.changes).toEqual([]);

      await run(click(value, 'U0APPROVE'));
      expect(swarm.changes).toEqual(['join manager tcp://10.0.0.9:2376', 'rotate manager']);
      expect(chat.updates.at(-1)!.message.text).toMatch(/Approved and done: new-mgr joined prod as a manager/);
      expect(JSON.stringify(chat.updates.at(-1)!.message.blocks)).not.toContain('"actions"');
      expect(audit.events.map((e) => e.outcome)).toEqual(['requested', 'refused', 'refused', 'approved', 'succeeded']);

      await run(click(value, 'U0APPROVE'));
      expect(chat.responses.at(-1)!.message.text).toMatch(/already been decided/);
      expect(swarm.changes.length).toBe(2);
    });

    it('refuses after the request expires', async () => {
      const { run, chat, audit, swarm, later } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      const at = later(16 * 60_000);
      await run(click(buttonValue(chat), 'U0APPROVE', 'approve', undefined, at));
      expect(chat.responses.at(-1)!.message.text).toMatch(/expired at 10:15 UTC/);
      expect(chat.updates.at(-1)!.message.text).toMatch(/Expired/);
      expect(audit.events.at(-1)).toMatchObject({ outcome: 'expired' });
      expect(swarm.changes).toEqual([]);
    });

    it('lets the requester withdraw with Deny, recorded as such', async () => {
      const { run, chat, audit, swarm } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      await run(click(buttonValue(chat), 'U0OPS', 'deny', 'withdrawn'));
      expect(JSON.stringify(chat.updates.at(-1)!.message.blocks)).toMatch(/Withdrawn by the requester at .*\. Nothing was changed/);
      expect(audit.events.at(-1)).toMatchObject({ outcome: 'denied' });
      expect(swarm.changes).toEqual([]);
    });

    it('a decision the table cannot record is refused, a denial too, so no approval can overtake it', async () => {
      const { run, chat, audit, state } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      state.claim = async () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
      await run(click(buttonValue(chat), 'U0APPROVE', 'deny', 'not-now'));
      expect(chat.responses.at(-1)!.message).toMatchObject({ replace_original: false, text: expect.stringMatching(/Something went wrong on our side/) });
      expect(chat.updates).toEqual([]);
      expect(audit.events.map((e) => e.outcome)).toEqual(['requested']);
    });

    it('records the decision even when Slack cannot update the message', async () => {
      const { run, chat, audit } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376'));
      chat.update = async () => Promise.reject(new Error('message_not_found'));
      await run(click(buttonValue(chat), 'U0APPROVE', 'deny', 'discuss'));
      expect(audit.events.at(-1)).toMatchObject({ outcome: 'denied', detail: expect.stringMatching(/Needs discussion first/) });
    });

    it('asks nobody to approve a change that would do nothing', async () => {
      const { run, chat, audit } = withSpare();
      await run(job('promote m2'));
      expect(chat.posts).toEqual([]);
      expect(chat.responses[0]!.message.text).toMatch(/m2 is already a manager/);
      expect(audit.events.map((e) => e.outcome)).toEqual(['succeeded']);
    });

    it('a dry run of a manager-level change needs no approval and changes nothing', async () => {
      const { run, chat, swarm } = withSpare();
      await run(job('join manager tcp://10.0.0.9:2376 --dry-run'));
      expect(chat.posts).toEqual([]);
      expect(chat.responses[0]!.message.text).toMatch(/Dry run: would join new-mgr \(tcp:\/\/10.0.0.9:2376\) to prod as a manager/);
      expect(swarm.changes).toEqual([]);
    });
  });
});

describe('audit floods', () => {
  it('posts the first refusals of a minute, announces the flood once, and keeps the rest in the log and the table', async () => {
    const { createAudit } = await import('../../src/shared/audit-trail.js');
    const chat = new FakeChat();
    const state = new MemoryState();
    const log = new MemoryLog();
    const audit = createAudit({ chat, log, history: state, counters: state });
    const policy = { auditChannel: 'C0AUDIT', auditRetentionDays: 400 };
    for (let i = 0; i < 40; i++) {
      await audit.record({ requestId: `r${i}`, at: '2026-11-21T10:00:30.000Z', user: 'U0VIEW', command: 'rotate worker', outcome: 'refused', detail: 'no' }, policy);
    }
    expect(chat.posts).toHaveLength(21);
    expect(chat.posts[20]!.reply.title).toBe('audit: refusals coalesced');
    expect(state.events).toHaveLength(40);
    expect(log.lines.filter((l) => l.message === 'audit')).toHaveLength(40);
  });
});

describe('the worker near its deadline', () => {
  it('stops a command at its next step when time is nearly up, and says how far it got', async () => {
    const { createWorkerKit } = await import('../../src/app/worker-kit.js');
    const { log, chat, audit } = setup();
    const kit = createWorkerKit({ ledger: new MemoryLedger(), claims: new MemoryState(), unlockKeys: new MemoryUnlockKeys(), pending: new MemoryState(), history: new MemoryState(), policies: policies(), credentials: credentials(), swarmFor: () => new FakeSwarm([]), chat, audit, log, clock: { now: () => NOW }, signingSecret: async () => 'secret' });
    const started: string[] = [];
    const steps = kit.stepLog();
    const command = async () => {
      for (const step of ['draining w1', 'waiting for its tasks to move', 'removing w1']) {
        steps.report(step);
        started.push(step);
        await new Promise((r) => setTimeout(r, 300));
      }
      return 'done';
    };
    // 2.5 s are kept for the answer: 2.9 s left means the deadline falls after the second step began
    const err = await kit.withinTime({ remainingMs: () => 2900 }, command(), steps).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'OutOfTime', lastStep: 'waiting for its tasks to move' });
    await new Promise((r) => setTimeout(r, 400));
    // the third step was never started
    expect(started).toEqual(['draining w1', 'waiting for its tasks to move']);
    const answer = JSON.stringify(kit.failureReply(err, { requestId: 'req-slow', command: 'node rm w1', user: 'U0OPS' }));
    expect(answer).toMatch(/outcome is unknown/);
    expect(answer).toMatch(/got as far as: `waiting for its tasks to move`/);
    expect(answer).toContain('req-slow');
    expect(kit.failureOutcome(err)).toMatchObject({ outcome: 'failed', unknown: true, detail: expect.stringContaining('waiting for its tasks to move') });
  });

  it('a command that reported no step yet says so', async () => {
    const { run, chat } = setup(
      new (class extends FakeSwarm {
        constructor() {
          super([manager('m1', { leader: true })], { info: daemonInfo() });
          this.nodes.list = () => new Promise(() => undefined);
        }
      })(),
    );
    await run(job('status', 'U0VIEW', 'req-hang'), { remainingMs: () => 2600 });
    const text = JSON.stringify(chat.responses.at(-1)!.message);
    expect(text).toMatch(/Outcome unknown/);
    expect(text).toMatch(/had not reported a step yet/);
    expect(text).toContain('req-hang');
  });
});
