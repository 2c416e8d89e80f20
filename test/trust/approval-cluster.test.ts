/**
 * Issue 21, finding 1: an approval runs on the cluster that was approved.
 * The approved request used to resolve its cluster again from the channel's
 * *current* mapping: `autolock on` asked in #staging, the channel remapped to
 * prod, a staging-only approver clicks, and prod got autolock (its key kept)
 * while the audit said staging. The signed request carries its cluster; the
 * approver's role, the apply and the audit all use it.
 */
import { describe, expect, it } from 'vitest';
import { createWorker } from '../../src/app/worker.js';
import { runCommand } from '../../src/app/run-command.js';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { signJob } from '../../src/domain/job-signature.js';
import type { Policy } from '../../src/config/policy.js';
import type { VerifiedApproval } from '../../src/domain/approval.js';
import { FakeAudit, FakeChat, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, testPolicy } from '../support/fakes.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const SECRET = 'approval-cluster-secret';
const CHANNEL = 'C0STAGING';

const base = {
  roles: { viewer: ['U0OPS'], operator: ['U0OPS'], approver: ['U0APPROVE'] },
  clusters: { prod: {}, staging: { roles: { approver: ['U0STAGEAPPROVER'] } } },
};
const asked = testPolicy({ ...base, channels: { [CHANNEL]: 'staging' } });
const remapped = testPolicy({ ...base, channels: { [CHANNEL]: 'prod' } });

function setup() {
  const swarms: Record<string, FakeSwarm> = {
    prod: new FakeSwarm([manager('p1', { leader: true }), manager('p2'), manager('p3'), worker('pw')], { info: daemonInfo() }),
    staging: new FakeSwarm([manager('s1', { leader: true }), manager('s2'), manager('s3'), worker('sw')], { info: daemonInfo() }),
  };
  let policy: Policy = asked;
  const chat = new FakeChat();
  const audit = new FakeAudit();
  const unlockKeys = new MemoryUnlockKeys();
  const state = new MemoryState();
  const run = createWorker({
    ledger: new MemoryLedger(),
    claims: state,
    unlockKeys,
    pending: state,
    history: state,
    policies: { policy: async () => policy },
    credentials: { clusterCredentials: async (c: string) => ({ endpoints: [`tcp://${c}:2376`], ca: 'ca', cert: 'cert', key: 'key' }), invalidate: () => undefined },
    swarmFor: (creds) => swarms[/tcp:\/\/(\w+):/.exec(creds.endpoints[0]!)![1]!]!,
    chat,
    audit,
    log: new MemoryLog(),
    clock: { now: () => NOW },
    signingSecret: async () => SECRET,
  });
  return { run, swarms, chat, audit, unlockKeys, remap: () => (policy = remapped) };
}

const command = (text: string) =>
  signJob({ kind: 'command', requestId: 'req-ac', text, command: text.split(' ')[0]!, cluster: 'staging', user: 'U0OPS', channel: CHANNEL, responseUrl: 'https://hooks.slack.com/r', issuedAt: NOW.toISOString() }, SECRET);
const approve = (value: string, user: string) =>
  signJob({ kind: 'decision', requestId: `click-${user}`, decision: 'approve', value, user, channel: CHANNEL, messageTs: '1.0001', responseUrl: 'https://hooks.slack.com/click', issuedAt: NOW.toISOString() }, SECRET);
const buttonValue = (chat: FakeChat) =>
  (chat.posts.at(-1)!.message.blocks.find((b) => b['type'] === 'actions')!['elements'] as Array<{ action_id: string; value: string }>).find((e) => e.action_id === APPROVE_ACTION)!.value;

describe('an approval crosses no clusters', () => {
  it('asked for staging, channel remapped to prod, approved by a staging approver: staging gets it, prod nothing, the audit says staging', async () => {
    const { run, swarms, chat, audit, unlockKeys, remap } = setup();
    await run(command('autolock on'));
    const value = buttonValue(chat);
    remap();
    await run(approve(value, 'U0STAGEAPPROVER'));
    expect(swarms.prod!.changes).toEqual([]);
    expect(swarms.staging!.changes).toEqual(['autolock on']);
    expect([...unlockKeys.keys.keys()]).toEqual(['staging']);
    const done = audit.events.filter((e) => e.outcome === 'succeeded');
    expect(done).toEqual([expect.objectContaining({ cluster: 'staging', approver: 'U0STAGEAPPROVER' })]);
  });

  it("a prod-only approver can't approve the staging request, whatever the channel maps to now", async () => {
    const { run, swarms, chat, remap } = setup();
    await run(command('autolock on'));
    const value = buttonValue(chat);
    remap();
    await run(approve(value, 'U0APPROVE'));
    expect(swarms.prod!.changes).toEqual([]);
    expect(swarms.staging!.changes).toEqual([]);
  });

  it('runCommand refuses an approval whose cluster is not the one the text names', async () => {
    const swarm = new FakeSwarm([manager('p1', { leader: true }), manager('p2'), manager('p3')], { info: daemonInfo() });
    const deps = { swarmFor: async () => swarm, history: new MemoryState(), claims: new MemoryState(), unlockKeys: new MemoryUnlockKeys(), clock: { now: () => NOW } };
    const request = { v: 1, id: 'r1', text: 'autolock on --cluster prod', cluster: 'staging', requester: 'U0OPS', channel: CHANNEL, exp: NOW.getTime() + 60_000 } as unknown as VerifiedApproval;
    await expect(runCommand(deps, remapped, { text: request.text, user: 'U0OPS', channel: CHANNEL, requestId: 'r1' }, { request, approver: 'U0STAGEAPPROVER' })).rejects.toThrow(/approved for `staging`.*nothing was changed/i);
    expect(swarm.changes).toEqual([]);
  });
});
