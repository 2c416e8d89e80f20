import { describe, expect, it } from 'vitest';
import { acceptCommand } from '../../src/app/ingress.js';
import { FakeQueue, MemoryLog, policies } from '../support/fakes.js';

const deps = () => {
  const queue = new FakeQueue();
  return {
    queue,
    log: new MemoryLog(),
    deps: {
      secrets: async () => ({ signingSecret: 's', botToken: 'b', botUserId: 'U0BOT' }),
      policies: policies(),
      queue,
      log: new MemoryLog(),
      clock: { now: () => new Date('2026-11-21T10:00:00Z') },
      newRequestId: () => 'req1',
    },
  };
};
const cmd = (text: string, user = 'U0OPS', channel = 'C0OTHER') => ({ text, user_id: user, channel_id: channel, response_url: 'https://hooks.slack.test/r' });

describe('acceptCommand (the acknowledgement path)', () => {
  it('hands a valid command to the worker and acknowledges privately', async () => {
    const { deps: d, queue } = deps();
    const ack = await acceptCommand(d, cmd('status'));
    expect(ack).toEqual({ response_type: 'ephemeral', text: ':hourglass_flowing_sand: Working on `/swarm status` for `prod`… (request `req1`)' });
    expect(queue.jobs).toEqual([
      { kind: 'command', requestId: 'req1', text: 'status', command: 'status', cluster: 'prod', user: 'U0OPS', channel: 'C0OTHER', responseUrl: 'https://hooks.slack.test/r', issuedAt: '2026-11-21T10:00:00.000Z' },
    ]);
  });

  it('uses the channel\'s cluster, and --cluster over it', async () => {
    const { deps: d, queue } = deps();
    await acceptCommand(d, cmd('nodes', 'U0VIEW', 'C0STAGING'));
    await acceptCommand(d, cmd('nodes --cluster prod', 'U0VIEW', 'C0STAGING'));
    expect(queue.jobs.map((j) => (j as { cluster: string }).cluster)).toEqual(['staging', 'prod']);
  });

  it('says a dry run changes nothing', async () => {
    const { deps: d } = deps();
    expect((await acceptCommand(d, cmd('rotate worker --dry-run'))).text).toMatch(/dry run: nothing will change/);
  });

  it.each([
    ['stauts', /Did you mean `\/swarm status`/],
    ['status --cluster nope', /Unknown cluster `nope`/],
    ['join worker nonsense', /not a Docker API URL/],
  ])('refuses %j in the acknowledgement and hands nothing on', async (text, message) => {
    const { deps: d, queue } = deps();
    const ack = await acceptCommand(d, cmd(text));
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(message);
    expect(queue.jobs).toEqual([]);
  });

  it('refuses a viewer\'s change and hands only an audit event on', async () => {
    const { deps: d, queue } = deps();
    const ack = await acceptCommand(d, cmd('rotate both', 'U0VIEW'));
    expect(ack.text).toMatch(/You need the \*operator\* role to run `\/swarm rotate` \(you have: viewer\)/);
    expect(queue.jobs).toEqual([
      { kind: 'audit', event: expect.objectContaining({ outcome: 'refused', user: 'U0VIEW', command: 'rotate both', requestId: 'req1' }), issuedAt: expect.any(String) },
    ]);
  });

  it('answers with a request id, not a stack, when the hand-off fails', async () => {
    const { deps: d } = deps();
    d.queue = { enqueue: async () => Promise.reject(new Error('Lambda throttled')) } as never;
    const ack = await acceptCommand(d, cmd('status'));
    expect(ack.text).toBe(':x: swarm-ops could not take that command right now. Quote request id `req1` to your platform team.');
  });
});
