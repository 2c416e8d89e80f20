/** `/swarm watch`, `watch mute` and `watch unmute` through runCommand (parse, authorize, plan/apply), with the real table. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateClient } from '../../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../../src/adapters/aws/dynamo-watch.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local/local-dynamo.js';
import { runCommand } from '../../src/app/run-command.js';
import { createWorker } from '../../src/app/worker.js';
import { signJob } from '../../src/domain/job-signature.js';
import type { Reply } from '../../src/domain/reply.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { credentials, FakeAudit, FakeChat, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies, testPolicy } from '../support/fakes.js';
import { FakeSwarm, manager, worker } from '../support/fixtures.js';

const NOW = Date.parse('2026-11-21T10:00:00Z');
let local: LocalDynamo;
let store: DynamoWatchStore;
let seq = 0;

beforeAll(async () => {
  local = await startLocalDynamo({ tableName: 'swarm-ops-watch-actions' });
  store = new DynamoWatchStore(createStateClient(local.clientConfig), local.tableName, { clock: { now: () => new Date(NOW) } });
});
afterAll(async () => {
  await local?.close();
});

/** a cluster of its own per test, watched, with its nodes */
function setup() {
  const cluster = `c${++seq}`;
  const policy = testPolicy({ defaultCluster: cluster, channels: {}, clusters: { [cluster]: { watch: { channel: 'C0ALERTS', graceMinutes: 3 } }, staging: {} } });
  const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')]);
  const deps = { swarmFor: async () => swarm, history: new MemoryState(), claims: new MemoryState(), unlockKeys: new MemoryUnlockKeys(), clock: { now: () => new Date(NOW) }, incidents: store };
  const say = async (text: string, user = 'U0OPS'): Promise<Reply> => {
    const out = await runCommand(deps, policy, { text, user, channel: 'C0ALERTS', requestId: 'r1' });
    return out.kind === 'answer' ? out.reply : out.request;
  };
  const plain = async (text: string, user?: string) => renderPlainText(await say(text, user)).replace(/`/g, '');
  return { cluster, policy, swarm, say, plain };
}

describe('/swarm watch', () => {
  it('lists the open incidents and the mutes (any viewer)', async () => {
    const { cluster, plain } = setup();
    expect(await plain('watch', 'U0VIEW')).toMatch(/Watch of c\d+: no open incidents[\s\S]*No open incidents: all quiet\.[\s\S]*No mutes\.[\s\S]*Alerts go to #C0ALERTS after 3 min · not checked yet/);
    await store.putIncident({ cluster, kind: 'node-down', subject: 'w1id', name: 'w1', status: 'open', since: NOW - 5 * 60_000, flaps: 0, detail: '', ts: '1.1' });
    await store.putIncident({ cluster, kind: 'quorum-at-risk', subject: '-', name: cluster, status: 'pending', since: NOW - 60_000, flaps: 0, detail: '2/3' });
    await store.putMute({ cluster, target: 'w2', nodeId: 'w2id', until: NOW + 3_600_000, by: 'U0OPS', at: NOW });
    const text = await plain('watch', 'U0VIEW');
    expect(text).toMatch(/Watch of c\d+: 1 open incident\b/);
    expect(text).toMatch(/Quorum at risk on c\d+: one more manager lost stops all changes +09:59 UTC +seen, posted after 3 min/);
    expect(text).toMatch(/Node down: w1 \(c\d+\) +09:55 UTC +open/);
    expect(text).toMatch(/Mutes \(1\):\n {2}- w2 until 11:00 UTC \(2026-11-21\), by @U0OPS/);
  });

  it('says so when the cluster is not watched', async () => {
    const { plain } = setup();
    expect(await plain('watch --cluster staging', 'U0VIEW')).toMatch(/The watch is off for staging: give it clusters\.staging\.watch/);
  });
});

describe('/swarm watch mute and unmute', () => {
  it('mutes a node (by hostname or ID prefix) for a while, and unmutes it', async () => {
    const { cluster, swarm, say, plain } = setup();
    const done = await say('watch mute w1 2h');
    expect(done.title).toBe(`Muted until 12:00 UTC: w1 on ${cluster}`);
    expect((await store.load(cluster)).mutes).toEqual([{ cluster, target: 'w1', nodeId: swarm.nodeList[3]!.id, until: NOW + 7_200_000, by: 'U0OPS', at: NOW }]);
    expect(await plain(`watch unmute ${swarm.nodeList[3]!.id.slice(0, 6)}`)).toMatch(/Unmuted: w1 on c\d+/);
    expect((await store.load(cluster)).mutes).toEqual([]);
    expect(await plain('watch unmute w1')).toMatch(/No mute for w1 on c\d+[\s\S]*Nothing was changed/);
  });

  it('mutes a kind; a dry run changes nothing', async () => {
    const { cluster, plain } = setup();
    expect(await plain('watch mute leader-changed 1d --dry-run')).toMatch(/Dry run: would mute the watch's leader-changed incidents on c\d+ for 24 h 0 min \(until 10:00 UTC\)/);
    expect((await store.load(cluster)).mutes).toEqual([]);
    await plain('watch mute node-down 30m');
    expect((await store.load(cluster)).mutes).toMatchObject([{ target: 'node-down', kind: 'node-down', until: NOW + 1_800_000 }]);
  });

  it('mutes by the name typed when the swarm can\'t be asked (no leader): exactly when a mute is wanted', async () => {
    const { cluster, swarm, plain } = setup();
    swarm.opts.quorumLost = true;
    expect(await plain('watch mute lab-n9 1h')).toMatch(/Muted until 11:00 UTC: lab-n9/);
    expect((await store.load(cluster)).mutes).toMatchObject([{ target: 'lab-n9' }]);
    expect((await store.load(cluster)).mutes[0]!.nodeId).toBeUndefined();
  });

  it.each([
    ['watch mute nodedown 1h', /`nodedown` is neither a node nor a service of `c\d+`, nor an incident kind\. Did you mean `node-down`\?/],
    ['watch mute w1 31d', /<30m\|2h\|1d>: at most 30d/],
    ['watch mute w1 soon', /`soon` is not a duration/],
    ['watch mute w1', /`watch mute` needs <node\|service\|kind> <30m\|2h\|1d>/],
  ])('refuses %j', async (text, message) => {
    const { say } = setup();
    await expect(say(text)).rejects.toThrow(message);
  });

  it('is an operator\'s command: a viewer is refused', async () => {
    const { say } = setup();
    await expect(say('watch mute w1 1h', 'U0VIEW')).rejects.toThrow(/You need the \*operator\* role to run `\/swarm watch mute`/);
  });

  it('is audited like every change', async () => {
    const { cluster, swarm, policy } = setup();
    const audit = new FakeAudit();
    const chat = new FakeChat();
    const state = new MemoryState();
    const w = createWorker({
      policies: policies(policy), credentials: credentials(), swarmFor: () => swarm, chat, audit, log: new MemoryLog(), clock: { now: () => new Date(NOW) },
      claims: state, pending: state, history: state, unlockKeys: new MemoryUnlockKeys(), ledger: new MemoryLedger(), signingSecret: async () => 'secret', incidents: store,
    });
    const job = { kind: 'command', requestId: 'mute1', text: 'watch mute w2 2h', command: 'watch mute', cluster, user: 'U0OPS', channel: 'C0ALERTS', responseUrl: 'https://hooks.slack.test/r', issuedAt: new Date(NOW).toISOString() };
    await w(signJob(job, 'secret'));
    expect(audit.events).toMatchObject([{ requestId: 'mute1', user: 'U0OPS', command: 'watch mute w2 2h', cluster, outcome: 'succeeded', detail: `Muted until 12:00 UTC: w2 on ${cluster}` }]);
    expect(chat.responses[0]!.message.response_type).toBe('in_channel');
  });
});
