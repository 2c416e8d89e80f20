/**
 * The two-person rule and token hygiene against a hostile insider, one test
 * per finding of the security review, through the real handlers against the
 * real swarm; and the reliability faults (a leader stopped mid-command, an
 * endpoint that accepts TCP and never answers, a daemon answering 500s).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { signJob } from '../../src/domain/job-signature.js';
import { startFakeDaemon, startSilentEndpoint, type FakeDaemon } from '../support/fake-daemon.js';
import { docker, joinToken, labSh, readLab, resetSpares, SLOW, waitForHealthy } from './lab.js';
import { labPolicy, labUnavailable, PREFIX, SIGNING_SECRET, startHarness, USERS, type Harness } from './harness.js';

const n4 = 'tcp://10.77.0.14:2376';

/** the lab policy of these tests; `channels` is what a later test remaps */
function trustPolicy(channels: Record<string, string>) {
  const base = labPolicy();
  return {
    channels,
    clusters: {
      ...(base.clusters as object),
      // lab's approvals only by U0APPROVE, stagelab's only by U0APPROVE2
      lab: { rotate: ['worker'], roles: { approver: [USERS.approver] } },
      stagelab: { roles: { approver: [USERS.approver2] } },
      prodonly: { allowChannels: ['C0PRODOPS'], roles: { operator: [USERS.approver] } },
      silentfirst: {},
      fivehundredfirst: {},
    },
  };
}

/** the workers' policy cache (60 s) must have let go of a policy changed in SSM */
const POLICY_CACHE_MS = 61_000;

describe.skipIf(labUnavailable())('trust: a hostile insider gets nowhere', () => {
  let h: Harness;
  let fake: FakeDaemon;
  let silent: Awaited<ReturnType<typeof startSilentEndpoint>>;
  /** an insider's daemon, certificate from the cluster's CA, that says it is a locked manager */
  let lockedFake: FakeDaemon;
  beforeAll(async () => {
    const lab = readLab();
    const n1 = lab.nodes.find((n) => n.name === 'lab-n1')!;
    // a daemon certificate from the cluster's CA, as an insider with a machine of their own could get
    const tls = { ca: readFileSync(lab.tls.ca, 'utf8'), cert: readFileSync(`${lab.stateDir}/tls/nodes/lab-n1-cert.pem`, 'utf8'), key: readFileSync(`${lab.stateDir}/tls/nodes/lab-n1-key.pem`, 'utf8') };
    fake = await startFakeDaemon(tls);
    lockedFake = await startFakeDaemon(tls, { locked: true });
    silent = await startSilentEndpoint();
    h = await startHarness({
      // stagelab: the same swarm under another name, with its own approver (issue 21, finding 1)
      clusters: { prodonly: [n1.url], silentfirst: [silent.url, n1.url], fivehundredfirst: [fake.url, n1.url], stagelab: [n1.url] },
      policy: trustPolicy({ C0PRODOPS: 'lab', C0STAGELAB: 'stagelab' }),
    });
    resetSpares(h.lab);
  });
  afterAll(async () => {
    // the scan: no join token, unlock key, PEM block or bot token in any Slack payload or log line
    const everything = h.slack.transcript() + h.logLines.join('');
    expect(everything).not.toMatch(/SWMTKN-1-|SWMKEY-1-|-----BEGIN|xoxb-lab-bot-token/);
    await Promise.all([h?.close(), fake?.close(), lockedFake?.close(), silent?.close()]);
    resetSpares(h.lab);
  });

  it('1. a join token sent to a fake daemon that answers 500 is rotated at once', async () => {
    const before = joinToken('worker');
    const r = await h.slash(`join worker ${fake.url}`, { user: USERS.operator });
    expect(fake.tokens).toHaveLength(1);
    expect(fake.tokens[0]).toBe(before);
    expect(joinToken('worker')).not.toBe(before);
    expect(r.resultText).toMatch(/worker join token used for this join has been rotated/);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/failed|refused/);
  });

  it('2. the worker runs no job the ingress did not sign, and posts nowhere else', async () => {
    const before = joinToken('worker');
    const forged = { kind: 'command', requestId: 'forged1', text: 'rotate worker', command: 'rotate', cluster: 'lab', user: USERS.approver, channel: 'C0PRODOPS', responseUrl: 'https://evil.example/collect', issuedAt: new Date().toISOString() };
    await h.redeliver(forged);
    await h.redeliver({ ...forged, sig: 'AAAA' });
    await h.redeliver(signJob({ ...forged, issuedAt: new Date(Date.now() - 20 * 60_000).toISOString() }, SIGNING_SECRET));
    expect(joinToken('worker')).toBe(before);
    // signed, but aimed at a URL that is not Slack's: acted on, never posted there
    const postsBefore = h.slack.responses.length;
    await h.redeliver(signJob({ ...forged, requestId: 'forged2', text: 'status', command: 'status' }, SIGNING_SECRET));
    expect(h.slack.responses.length).toBe(postsBefore);
    expect(h.logLines.join('')).toMatch(/refused a job that the ingress did not issue/);
  });

  it('3. a cluster limited to its channels: an operator elsewhere can\'t touch it, and the channel\'s cluster grants nothing', async () => {
    const fromStaging = await h.slash('drain lab-n2 --cluster prodonly', { user: USERS.approver, channel: 'C0STAGING' });
    expect(fromStaging.ack?.text).toMatch(/Commands for `prodonly` are accepted only in <#C0PRODOPS>/);
    const notOperatorThere = await h.slash('drain lab-n2 --cluster prodonly', { user: USERS.operator });
    expect(notOperatorThere.ack?.text).toMatch(/You need the \*operator\* role/);
    expect(docker('lab-n1', 'node', 'inspect', 'lab-n2', '--format', '{{.Spec.Availability}}')).toBe('active');
  });

  it('4. overlay check is an operator\'s command and audited', async () => {
    const viewer = await h.slash('overlay check ingress', { user: USERS.viewer });
    expect(viewer.ack?.text).toMatch(/operator/);
    const dry = await h.slash('overlay check ingress --dry-run', { user: USERS.operator });
    expect(dry.resultText).toMatch(/routing mesh/);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/overlay check ingress/);
  });

  it('5. nothing typed can format a message: no mention echoed, code spans kept', async () => {
    const auditBefore = h.auditPosts().length;
    const r = await h.slash('status --cluster "<!channel>"', { user: USERS.operator });
    expect(r.ack?.text).toMatch(/Unknown cluster that name/);
    expect(r.ack?.text).not.toMatch(/<!channel>/);
    const tick = await h.slash('drain lab`n4 <!here>', { user: USERS.operator });
    expect(JSON.stringify(tick)).not.toMatch(/<!here>|<!channel>/);
    expect(h.auditPosts().slice(auditBefore).map((p) => JSON.stringify(p)).join('')).not.toMatch(/<!channel>|<!here>/);
  });

  it(
    '6. an approval binds the node the approver saw: the same hostname re-joined is another node',
    async () => {
      await h.slash(`join worker ${n4}`, { user: USERS.operator });
      await h.slash('promote lab-n4', { user: USERS.operator });
      const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
      const value = (posted.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>)
        .find((b) => b.type === 'actions')!
        .elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
      // lab-n4 leaves and joins again: same hostname, new node ID
      resetSpares(h.lab);
      await h.slash(`join worker ${n4}`, { user: USERS.operator });
      await h.click({ actionId: APPROVE_ACTION, value, user: USERS.approver, messageTs: '1700000400.000100' });
      const update = JSON.stringify(h.slack.posts.filter((p) => p.method === 'chat.update').at(-1)!.body);
      expect(update).toMatch(/no longer what is there: the node \(its ID\) changed/);
      expect(docker('lab-n1', 'node', 'inspect', 'lab-n4', '--format', '{{.Spec.Role}}')).toBe('worker');
    },
    SLOW,
  );

  // issue 21, finding 1: asked in a #staging channel, the channel remapped to the lab before the click
  let stagingRequest: { value: string; remappedAt: number } | undefined;
  it('7a. (an approval crosses no clusters) autolock on is requested for stagelab, then the channel is remapped to lab', async () => {
    await h.slash('autolock on', { user: USERS.operator, channel: 'C0STAGELAB' });
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0STAGELAB').at(-1)!;
    const value = (posted.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>)
      .find((b) => b.type === 'actions')!
      .elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
    h.ssm.put({ name: `${PREFIX}/policy`, type: 'String', value: JSON.stringify(labPolicy(trustPolicy({ C0PRODOPS: 'lab', C0STAGELAB: 'lab' }))) });
    stagingRequest = { value, remappedAt: Date.now() };
  });

  // issue 21, findings 2 and 3 (while the policy cache lets go of the remap)
  it('8. unlock sends the kept key to no daemon but the cluster\'s managers, and does not even contact another', async () => {
    const planted = 'SWMKEY-1-plantedforthetrusttest';
    h.ssm.put({ name: `${PREFIX}/clusters/lab/unlock-key`, type: 'SecureString', value: planted });
    const r = await h.slash(`unlock ${lockedFake.url}`, { user: USERS.operator });
    expect(lockedFake.unlockKeys).toEqual([]);
    expect(lockedFake.requests).toEqual([]);
    expect(r.resultText).toMatch(/is not one of `lab`'s managers/);
    // a configured manager is one: it is answered (not locked, so nothing to do)
    const n2 = h.lab.nodes.find((n) => n.name === 'lab-n2')!;
    const ok = await h.slash(`unlock ${n2.url}`, { user: USERS.operator });
    expect(ok.resultText).toMatch(/lab-n2 is not locked/);
    expect(h.ssm.read(`${PREFIX}/clusters/lab/unlock-key`)?.value).toBe(planted);
  });

  it('8b. a join target that can\'t be reached is one plain error, whether nobody is there or the port is closed', async () => {
    const n1 = h.lab.nodes.find((n) => n.name === 'lab-n1')!;
    const nobody = await h.slash('join worker tcp://10.77.0.99:2376', { user: USERS.operator });
    const closed = await h.slash(`join worker tcp://${n1.ip}:2999`, { user: USERS.operator });
    const words = (r: { resultText: string }, url: string) => r.resultText.split(url).join('URL');
    expect(words(nobody, 'tcp://10.77.0.99:2376')).toBe(words(closed, `tcp://${n1.ip}:2999`));
    expect(nobody.resultText).toMatch(/Can't reach a Docker daemon at/);
    expect(closed.resultText).not.toMatch(/ECONNREFUSED|EHOSTUNREACH|timed out/);
  });

  it(
    '7b. the staging approver approves: stagelab gets autolock and keeps its key, lab\'s key stays, the audit says stagelab',
    async () => {
      const planted = h.ssm.read(`${PREFIX}/clusters/lab/unlock-key`)?.value;
      try {
        await new Promise((r) => setTimeout(r, Math.max(0, stagingRequest!.remappedAt + POLICY_CACHE_MS - Date.now())));
        await h.click({ actionId: APPROVE_ACTION, value: stagingRequest!.value, user: USERS.approver2, channel: 'C0STAGELAB', messageTs: '1700000700.000100' });
        expect(h.ssm.read(`${PREFIX}/clusters/stagelab/unlock-key`)?.value).toMatch(/^SWMKEY-1-/);
        expect(h.ssm.read(`${PREFIX}/clusters/lab/unlock-key`)?.value).toBe(planted);
        const audited = h.auditPosts().map((p) => JSON.stringify(p.body)).filter((t) => /autolock on/.test(t));
        expect(audited.at(-1)).toMatch(/stagelab/);
        expect(audited.at(-1)).not.toMatch(/`lab`/);
      } finally {
        docker('lab-n1', 'swarm', 'update', '--autolock=false');
        h.ssm.put({ name: `${PREFIX}/policy`, type: 'String', value: JSON.stringify(labPolicy(trustPolicy({ C0PRODOPS: 'lab', C0STAGELAB: 'stagelab' }))) });
      }
    },
    SLOW,
  );

  it('an endpoint that accepts TCP and never answers is skipped within the budget', async () => {
    const started = Date.now();
    const r = await h.slash('status --cluster silentfirst', { user: USERS.viewer });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.result?.text).toMatch(/Swarm silentfirst: (healthy|degraded)/);
  });

  it('a manager answering 500s: a read goes on to the next, a write is not sent twice', async () => {
    const r = await h.slash('nodes --cluster fivehundredfirst', { user: USERS.viewer });
    expect(r.result?.text).toMatch(/Nodes of fivehundredfirst|Something went wrong|500/);
    const before = joinToken('worker');
    const rot = await h.slash('rotate worker --cluster fivehundredfirst', { user: USERS.operator });
    const after = joinToken('worker');
    // truthful either way: rotated and says so, or not rotated and says so
    if (after === before) expect(rot.resultText).not.toMatch(/Rotated the worker join token/);
    else expect(rot.resultText).toMatch(/Rotated the worker join token/);
  });

  it(
    'the leader stopped mid-status and mid-rotate: answered within the budget, truthfully',
    async () => {
      const before = joinToken('worker');
      const status = h.slash('status', { user: USERS.viewer });
      const rotate = h.slash('rotate worker', { user: USERS.operator });
      await new Promise((r) => setTimeout(r, 30));
      const started = Date.now();
      labSh('stop', 'lab-n1');
      try {
        const [s, r] = await Promise.all([status, rotate]);
        expect(Date.now() - started).toBeLessThan(60_000);
        expect(s.result?.text).toMatch(/Swarm lab: (healthy|degraded|quorum lost)|no leader/i);
        expect(r.result).toBeDefined();
        const rotated = r.resultText.match(/Rotated the worker join token/);
        labSh('start', 'lab-n1');
        await waitForHealthy();
        const after = joinToken('worker');
        if (rotated) expect(after).not.toBe(before);
        if (/nothing was changed/i.test(r.resultText)) expect(after).toBe(before);
      } finally {
        labSh('start', 'lab-n1');
        await waitForHealthy();
      }
    },
    SLOW,
  );
});
