/**
 * A click on a watch alert's button at the ingress: the signed command
 * becomes an ordinary command job for the person who clicked, or nothing
 * (and they are told why).
 */
import type { BlockActions, ClickedAction } from '../../src/app/slack-events.js';
import { describe, expect, it } from 'vitest';
import { acceptAlertClick } from '../../src/app/ingress.js';
import { ALERT_ACTION, ALERT_BUTTON_TTL_MS, signAlertButton } from '../../src/domain/alert-button.js';
import { signApproval } from '../../src/domain/approval.js';
import { FakeQueue, MemoryLog, policies, testPolicy } from '../support/fakes.js';

const NOW = Date.parse('2026-11-21T10:00:00Z');
const TOKEN = 'xoxb-bot-token';

function ingress(now = NOW) {
  const queue = new FakeQueue();
  const deps = {
    secrets: async () => ({ signingSecret: 's', botToken: TOKEN, botUserId: 'U0BOT' }),
    policies: policies(testPolicy()),
    queue,
    log: new MemoryLog(),
    clock: { now: () => new Date(now) },
    newRequestId: () => 'req7',
  };
  return { queue, deps };
}

const click = (value: string, o: { user?: string; channel?: string } = {}) => {
  const action: ClickedAction = { action_id: `${ALERT_ACTION}-0`, value };
  const body: BlockActions = {
    type: 'block_actions',
    user: { id: o.user ?? 'U0VIEW', team_id: 'T0TEAM' },
    channel: { id: o.channel ?? 'C0ALERTS' },
    container: { channel_id: o.channel ?? 'C0ALERTS', message_ts: '1.0001' },
    response_url: 'https://hooks.slack.com/actions/T0/1/abc',
    actions: [action],
  };
  return [body, action] as const;
};
const button = (command: string, o: { channel?: string; now?: number; token?: string } = {}) =>
  signAlertButton({ command, cluster: 'prod', channel: o.channel ?? 'C0ALERTS', now: o.now ?? NOW }, o.token ?? TOKEN);

describe('alert buttons at the ingress', () => {
  it('hands the signed command on as a command job of the person who clicked, in the alert\'s channel', async () => {
    const { deps, queue } = ingress();
    expect(await acceptAlertClick(deps, ...click(button('status --cluster prod')), TOKEN)).toBeUndefined();
    expect(queue.jobs).toEqual([
      {
        kind: 'command',
        requestId: 'req7',
        text: 'status --cluster prod',
        command: 'status',
        cluster: 'prod',
        user: 'U0VIEW',
        channel: 'C0ALERTS',
        team: 'T0TEAM',
        responseUrl: 'https://hooks.slack.com/actions/T0/1/abc',
        issuedAt: new Date(NOW).toISOString(),
      },
    ]);
  });

  it('goes through the roles like a typed command: a viewer\'s Drain is refused and audited, nothing run', async () => {
    const { deps, queue } = ingress();
    const refusal = await acceptAlertClick(deps, ...click(button('drain w1 --cluster prod'), { user: 'U0VIEW' }), TOKEN);
    expect(refusal).toMatch(/You need the \*operator\* role to run `\/swarm drain`/);
    expect(queue.jobs).toEqual([{ kind: 'audit', event: expect.objectContaining({ outcome: 'refused', user: 'U0VIEW', command: 'drain w1 --cluster prod' }), issuedAt: expect.any(String) }]);
  });

  it.each([
    ['an edited value', () => button('status --cluster prod').replace(/^./, 'x')],
    ['a value signed with another key', () => button('node rm w1 --force --cluster prod', { token: 'xoxb-other' })],
    ['an approval button\'s value', () => signApproval({ v: 1, id: 'r1', text: 'status', cluster: 'prod', requester: 'watch', channel: 'C0ALERTS', exp: NOW + 60_000 }, 's')],
    ['a button of another channel', () => button('status --cluster prod', { channel: 'C0OTHER' })],
  ])('refuses %s and hands nothing on', async (_, value) => {
    const { deps, queue } = ingress();
    expect(await acceptAlertClick(deps, ...click(value()), TOKEN)).toMatch(/not issued by swarm-ops for this channel, or its value was changed\. Nothing was done/);
    expect(queue.jobs).toEqual([]);
  });

  it('refuses an expired button and says what to type instead', async () => {
    const { deps, queue } = ingress(NOW + ALERT_BUTTON_TTL_MS + 1);
    expect(await acceptAlertClick(deps, ...click(button('status --cluster prod')), TOKEN)).toMatch(/expired\. Type the command instead/);
    expect(queue.jobs).toEqual([]);
  });
});
