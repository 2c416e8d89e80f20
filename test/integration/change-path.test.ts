/**
 * The change path against the real swarm: rotation, joins, two-person
 * approval, scheduled rotation, dry runs, and the audit trail, all through
 * the real handlers with signed slash commands and signed button clicks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSweep } from '../../src/composition/worker-root.js';
import { APPROVE_ACTION, DENY_ACTION, signApproval } from '../../src/domain/approval.js';
import { docker, joinToken, resetSpares, swarmState } from './lab.js';
import { labUnavailable, SIGNING_SECRET, startHarness, USERS, type Harness } from './harness.js';

const n4 = 'tcp://10.77.0.14:2376';
const n5 = 'tcp://10.77.0.15:2376';

const nodeLs = () => docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}');

describe.skipIf(labUnavailable())('the change path against the real swarm', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    resetSpares(h.lab);
  });
  afterAll(async () => {
    // whatever happened above, no join token may have reached Slack or a log line
    expect(h.slack.transcript()).not.toMatch(/SWMTKN-/);
    expect(h.logLines.join('')).not.toMatch(/SWMTKN-/);
    await h?.close();
    resetSpares(h.lab);
  });

  it('a viewer\'s rotate is refused privately, audited, and changes nothing', async () => {
    const before = joinToken('worker');
    const r = await h.slash('rotate worker', { user: USERS.viewer });
    expect(r.ack?.response_type).toBe('ephemeral');
    expect(r.ack?.text).toMatch(/You need the \*operator\* role to run `\/swarm rotate`/);
    expect(h.lambda.invocations.at(-1)?.payload).toMatchObject({ kind: 'audit', event: { outcome: 'refused', user: USERS.viewer } });
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/refused/);
    expect(joinToken('worker')).toBe(before);
  });

  it('--dry-run says what it would do and changes nothing', async () => {
    const worker = joinToken('worker');
    const manager = joinToken('manager');
    const rot = await h.slash('rotate both --dry-run');
    expect(rot.ack?.text).toMatch(/dry run: nothing will change/);
    expect(rot.result?.text).toMatch(/Dry run: would rotate the worker and manager join tokens of lab/);
    const join = await h.slash(`join worker ${n4} --dry-run`);
    expect(join.result?.text).toMatch(/Dry run: would join lab-n4 \(tcp:\/\/10\.77\.0\.14:2376\) to lab as a worker/);
    expect(join.resultText).toMatch(/Nothing was changed/);
    expect(joinToken('worker')).toBe(worker);
    expect(joinToken('manager')).toBe(manager);
    expect(swarmState('lab-n4')).toBe('inactive');
    expect(JSON.stringify(h.auditPosts().slice(-2))).toMatch(/dry-run/);
  });

  it('rotation changes the token, says which, never shows it; the old token no longer joins', async () => {
    const old = joinToken('worker');
    const r = await h.slash('rotate worker');
    expect(r.result?.response_type).toBe('in_channel');
    expect(r.result?.text).toMatch(/Rotated the worker join token of lab/);
    const now = joinToken('worker');
    expect(now).not.toBe(old);
    expect(r.resultText).not.toContain(now);
    expect(() => docker('lab-n4', 'swarm', 'join', '--token', old, '10.77.0.11:2377')).toThrow(/invalid join token|rejected|token/i);
    expect(swarmState('lab-n4')).toBe('inactive');
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/succeeded/);
  });

  it('join worker: the bot joins the node, waits for Ready, and rotates the used token', async () => {
    const tokenBefore = joinToken('worker');
    const r = await h.slash(`join worker ${n4}`);
    expect(r.result?.response_type).toBe('in_channel');
    expect(r.result?.text).toMatch(/lab-n4 joined lab as a worker/);
    expect(r.resultText).toMatch(/worker join token used for this join has been rotated/);
    expect(nodeLs()).toMatch(/^lab-n4 Ready *$/m);
    expect(joinToken('worker')).not.toBe(tokenBefore);
  });

  it('join of a node already in a swarm, an unreachable URL, a bad URL: clear errors, nothing changed', async () => {
    const nodesBefore = nodeLs();
    const again = await h.slash(`join worker ${n4}`);
    expect(again.result?.response_type).toBe('ephemeral');
    expect(again.resultText).toMatch(/`lab-n4` \(`tcp:\/\/10\.77\.0\.14:2376`\) is already a worker of `lab`; nothing was changed/);
    const promoteHint = await h.slash(`join manager ${n4} --dry-run`);
    expect(promoteHint.resultText).toMatch(/To make it a manager, type `\/swarm promote lab-n4`/);
    const nowhere = await h.slash('join worker tcp://10.77.0.99:2376');
    expect(nowhere.resultText).toMatch(/Can't reach a Docker daemon at tcp:\/\/10\.77\.0\.99:2376 that this cluster's CA vouches for/);
    const bad = await h.slash('join worker 10.77.0.14');
    expect(bad.ack?.text).toMatch(/is not a Docker API URL. Type it as tcp:\/\/HOST:PORT/);
    expect(nodeLs()).toBe(nodesBefore);
  });

  it('join manager: approval requested with the arithmetic; refused for the requester and a viewer; done once on an approver\'s click', async () => {
    const req = await h.slash(`join manager ${n5}`);
    expect(req.result?.response_type).toBe('ephemeral');
    expect(req.result?.text).toMatch(/Approval requested/);
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
    const text = JSON.stringify(posted.body);
    expect(text).toMatch(/Approval needed: join lab-n5 \(tcp:\/\/10\.77\.0\.15:2376\) to lab as a manager/);
    expect(text).toMatch(/After the join.*4 of 4 managers reachable; quorum 3/);
    expect(text).toMatch(/4 managers is an even number/);
    const buttons = (posted.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements!;
    const approve = buttons.find((b) => b.action_id === APPROVE_ACTION)!;
    const messageTs = '1700000099.000100';
    expect(swarmState('lab-n5')).toBe('inactive');

    const own = await h.click({ actionId: APPROVE_ACTION, value: approve.value, user: USERS.operator, messageTs });
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.responses)).toMatch(/can't approve your own request/);
    const viewer = await h.click({ actionId: APPROVE_ACTION, value: approve.value, user: USERS.viewer, messageTs });
    expect(JSON.stringify(viewer.responses)).toMatch(/Only an approver of `lab` can approve/);
    expect(swarmState('lab-n5')).toBe('inactive');
    const refusals = h.auditPosts().filter((p) => JSON.stringify(p).includes('refused'));
    expect(JSON.stringify(refusals)).toContain(USERS.viewer);

    const ok = await h.click({ actionId: APPROVE_ACTION, value: approve.value, user: USERS.approver, messageTs });
    expect(ok.status).toBe(200);
    expect(nodeLs()).toMatch(/^lab-n5 Ready Reachable$/m);
    const update = h.slack.posts.filter((p) => p.method === 'chat.update').at(-1)!;
    expect(update.body['ts']).toBe(messageTs);
    const updated = JSON.stringify(update.body);
    expect(updated).toMatch(/Approved and done: lab-n5 joined lab as a manager/);
    expect(updated).toContain(`Approved by <@${USERS.approver}>`);
    expect(updated).not.toMatch(/"type":"actions"/);
    const audit = JSON.stringify(h.auditPosts().slice(-3));
    expect(audit).toMatch(/approved/);
    expect(audit).toMatch(/succeeded/);

    // the second click (or a second approver) changes nothing
    const managersBefore = docker('lab-n1', 'node', 'ls', '--filter', 'role=manager', '-q');
    const twice = await h.click({ actionId: APPROVE_ACTION, value: approve.value, user: USERS.approver2, messageTs });
    expect(JSON.stringify(twice.responses)).toMatch(/already been decided/);
    expect(docker('lab-n1', 'node', 'ls', '--filter', 'role=manager', '-q')).toBe(managersBefore);
  });

  it('an expired request is refused and says so; a forged value is refused', async () => {
    const expired = signApproval(
      { v: 1, id: 'expired1', text: `join manager ${n4}`, cluster: 'lab', requester: USERS.operator, channel: 'C0PRODOPS', exp: Date.now() - 60_000 },
      SIGNING_SECRET,
    );
    const r = await h.click({ actionId: APPROVE_ACTION, value: expired, user: USERS.approver, messageTs: '1700000123.000100' });
    expect(JSON.stringify(r.responses)).toMatch(/This request expired at/);
    expect(JSON.stringify(h.slack.posts.filter((p) => p.method === 'chat.update').at(-1))).toMatch(/Expired/);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/expired/);

    const forged = signApproval(
      { v: 1, id: 'forged1', text: `join manager ${n4}`, cluster: 'lab', requester: USERS.operator, channel: 'C0PRODOPS', exp: Date.now() + 600_000 },
      'not-our-secret',
    );
    const f = await h.click({ actionId: APPROVE_ACTION, value: forged, user: USERS.approver });
    expect(JSON.stringify(f.responses)).toMatch(/not issued by swarm-ops, or its value was changed/);
    expect(docker('lab-n1', 'node', 'inspect', 'lab-n4', '--format', '{{.Spec.Role}}')).toBe('worker');
  });

  it('deny records who decided and why, and changes nothing', async () => {
    const before = nodeLs();
    await h.slash('promote lab-n4');
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
    const blocks = posted.body['blocks'] as Array<{ type: string; elements?: Array<{ type: string; action_id: string; options?: Array<{ value: string }> }> }>;
    const menu = blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === DENY_ACTION)!;
    expect(menu.type).toBe('static_select');
    expect(menu.options!.map((o) => o.value)).toContain('quorum-risk');
    await h.click({ actionId: DENY_ACTION, selected: 'quorum-risk', messageBlocks: blocks, user: USERS.approver2, messageTs: '1700000200.000100' });
    const update = JSON.stringify(h.slack.posts.filter((p) => p.method === 'chat.update').at(-1));
    expect(update).toMatch(new RegExp(`Denied by <@${USERS.approver2}> at .*: Too risky for quorum`));
    const audit = JSON.stringify(h.auditPosts().at(-1));
    expect(audit).toMatch(/denied/);
    expect(audit).toMatch(/Too risky for quorum/);
    expect(nodeLs()).toBe(before);
  });

  it('an approval request nobody answers is closed and audited by the sweep once it expires', async () => {
    await h.slash('promote lab-n4');
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
    expect(JSON.stringify(posted.body)).toMatch(/Approval needed: promote lab-n4/);
    // the real sweep against the lab, run as if 20 minutes had passed
    const sweep = composeSweep(process.env, { now: () => new Date(Date.now() + 20 * 60_000) });
    const results = await sweep();
    expect(results.expired.length).toBe(1);
    const update = h.slack.posts.filter((p) => p.method === 'chat.update').at(-1)!;
    expect(update.body['channel']).toBe('C0PRODOPS');
    expect(JSON.stringify(update.body)).toMatch(/Nobody decided before/);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/expired/);
    expect(docker('lab-n1', 'node', 'inspect', 'lab-n4', '--format', '{{.Spec.Role}}')).toBe('worker');
    // nothing is left pending, so a second sweep closes nothing
    expect((await sweep()).expired).toEqual([]);
  });

  it('scheduled rotation rotates what the policy asks, audits it, and does not repeat a delivered tick', async () => {
    const worker = joinToken('worker');
    const manager = joinToken('manager');
    const results = await h.rotate({ id: 'tick-1', time: new Date().toISOString(), source: 'aws.events' });
    expect(results).toEqual([expect.objectContaining({ cluster: 'lab', outcome: 'succeeded' })]);
    expect(joinToken('worker')).not.toBe(worker);
    expect(joinToken('manager')).toBe(manager);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/scheduled/);
    const rotated = joinToken('worker');
    const again = await h.rotate({ id: 'tick-1', time: new Date().toISOString(), source: 'aws.events' });
    expect(again).toEqual([expect.objectContaining({ cluster: 'lab', outcome: 'skipped' })]);
    expect(joinToken('worker')).toBe(rotated);
  });
});
