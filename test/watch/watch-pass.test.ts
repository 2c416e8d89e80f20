/**
 * The watch function end to end over fakes of the swarm and Slack, with the
 * real table (dynalite) and a fake clock: what is posted, when, in which
 * thread, and what is kept between passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateClient, DynamoState } from '../../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../../src/adapters/aws/dynamo-watch.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local/local-dynamo.js';
import { createWatch, type WatchTiming } from '../../src/watch/watch-pass.js';
import { verifyAlertButton } from '../../src/domain/alert-button.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import type { Reply } from '../../src/domain/reply.js';
import type { InfoProbe, Swarm, SwarmNode } from '../../src/ports.js';
import { credentials, FakeChat, MemoryLog, policies, testPolicy } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-21T10:00:00Z');
const TOKEN = 'xoxb-test-bot-token';
let local: LocalDynamo;
let seq = 0;

beforeAll(async () => {
  local = await startLocalDynamo({ tableName: 'swarm-ops-watch-test' });
});
afterAll(async () => {
  await local?.close();
});

const nodes = (): SwarmNode[] => [manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')];

/** A watched cluster (its own name each test, so the shared table holds nothing of another test's), a clock the test moves. */
function world(o: { graceMinutes?: number; swarms?: Record<string, Swarm>; timing?: WatchTiming } = {}) {
  const cluster = `c${++seq}`;
  const swarm = new FakeSwarm(nodes(), { info: daemonInfo() });
  const swarms: Record<string, Swarm> = o.swarms ?? { [cluster]: swarm };
  const clusters = Object.fromEntries(Object.keys(swarms).map((c) => [c, { watch: { channel: 'C0ALERTS', graceMinutes: o.graceMinutes ?? 3 } }]));
  let now = T0;
  const clock = { now: () => new Date(now) };
  const doc = createStateClient(local.clientConfig);
  const store = new DynamoWatchStore(doc, local.tableName, { clock });
  const chat = new FakeChat();
  const log = new MemoryLog();
  const creds = credentials();
  const watch = createWatch({
    policies: policies(testPolicy({ defaultCluster: Object.keys(swarms)[0], channels: {}, clusters })),
    // each cluster's credentials name it, so swarmFor can tell them apart
    credentials: { ...creds, clusterCredentials: async (c: string) => ({ endpoints: [c], ca: '', cert: '', key: '' }) },
    swarmFor: (c) => swarms[c.endpoints[0]!]!,
    chat,
    log,
    clock,
    claims: new DynamoState(doc, local.tableName, { clock }),
    incidents: store,
    botToken: async () => TOKEN,
    timing: { postIntervalMs: 0, ...o.timing },
  });
  return {
    cluster,
    swarm,
    chat,
    log,
    store,
    at: (minutes: number) => (now = T0 + minutes * MIN),
    pass: (minutes: number) => ((now = T0 + minutes * MIN), watch({ id: `tick-${minutes}`, source: 'aws.events', 'detail-type': 'Scheduled Event' })),
    text: () => chat.posts.map((p) => plain(p.reply)).join('\n'),
  };
}

/** a reply as the terminal shows it, without the inline-code marks */
const plain = (r: Reply) => renderPlainText(r).replace(/`/g, '');
const setState = (s: FakeSwarm, name: string, state: SwarmNode['state']) => (s.nodeList = s.nodeList.map((n) => (n.hostname === name ? { ...n, state } : n)));
const buttonsOf = (blocks: Array<Record<string, unknown>>) =>
  (blocks.find((b) => b['type'] === 'actions')?.['elements'] as Array<{ action_id: string; value: string; text: { text: string } }> | undefined) ?? [];

describe('the watch function', () => {
  it('posts nothing over ten passes of a healthy swarm, and asks Docker little', async () => {
    const w = world();
    let lists = 0;
    const list = w.swarm.nodes.list;
    w.swarm.nodes.list = async () => (lists++, list());
    for (let m = 0; m < 10; m++) expect(await w.pass(m)).toMatchObject([{ cluster: w.cluster, outcome: 'checked', said: [], open: 0, pending: 0 }]);
    expect(w.chat.posts).toEqual([]);
    expect(lists).toBe(10);
    expect((await w.store.load(w.cluster)).state).toMatchObject({ leader: { hostname: 'm1' }, lastPassAt: T0 + 9 * MIN });
  });

  it('a worker down: one message after the grace period, with the next command and a signed Show status button', async () => {
    const w = world();
    await w.pass(0);
    setState(w.swarm, 'w1', 'down');
    expect((await w.pass(1))[0]).toMatchObject({ said: [], pending: 1 });
    expect((await w.pass(3))[0]!.said).toEqual([]);
    expect((await w.pass(4))[0]!.said).toEqual([`post Node down: w1 (${w.cluster})`]);
    for (let m = 5; m < 15; m++) await w.pass(m);
    expect(w.chat.posts).toHaveLength(1);
    const [post] = w.chat.posts;
    expect(post!.channel).toBe('C0ALERTS');
    const text = plain(post!.reply);
    expect(text).toMatch(/Worker w1 \(10\.0\.1\.1\) is down/);
    expect(text).toMatch(new RegExp(`Next: /swarm status --cluster ${w.cluster} shows the whole picture`));
    expect(text).toMatch(new RegExp(`/swarm watch mute w1 2h --cluster ${w.cluster}`));
    const [status] = buttonsOf(post!.message.blocks as never);
    expect(status!.text.text).toBe('Show status');
    expect(verifyAlertButton(status!.value, TOKEN, T0 + 5 * MIN)).toEqual({ ok: true, command: `status --cluster ${w.cluster}`, cluster: w.cluster, channel: 'C0ALERTS' });
    expect(verifyAlertButton(status!.value, 'xoxb-another-token', T0)).toEqual({ ok: false, why: 'forged' });
    expect(w.log.lines.some((l) => l.message === 'watch event' && l.fields?.['event'] === 'opened' && l.fields?.['name'] === 'w1')).toBe(true);
  });

  it('resolves in the thread and edits the first message to say after how long', async () => {
    const w = world();
    setState(w.swarm, 'w1', 'down');
    await w.pass(0);
    await w.pass(3);
    const parent = w.chat.posts[0]!;
    setState(w.swarm, 'w1', 'ready');
    await w.pass(10);
    expect(w.chat.posts).toHaveLength(1);
    const [result] = await w.pass(13);
    expect(result!.said).toEqual([`thread Resolved after 13 min: Node down: w1 (${w.cluster})`, `edit Resolved after 13 min: Node down: w1 (${w.cluster})`]);
    expect(w.chat.posts[1]).toMatchObject({ channel: 'C0ALERTS', threadTs: '1.0001' });
    expect(plain(w.chat.posts[1]!.reply)).toMatch(/w1 is ready again\. Resolved after 13 min/);
    expect(w.chat.updates).toMatchObject([{ channel: 'C0ALERTS', ts: '1.0001' }]);
    expect(plain(w.chat.updates[0]!.reply)).toMatch(/Resolved at 10:13 UTC; first seen 10:00 UTC/);
    expect(buttonsOf(w.chat.updates[0]!.message.blocks as never)).toEqual([]);
    expect(parent.reply.title).toBe(`Node down: w1 (${w.cluster})`);
    expect((await w.store.load(w.cluster)).incidents).toEqual([]);
  });

  it('quorum lost: names the managers that answer and how many more must come back; a cluster unreachable is one message, not one a minute', async () => {
    const w = world({ graceMinutes: 1 });
    await w.pass(0);
    const probes: InfoProbe[] = [
      { endpoint: 'tcp://10.0.0.1:2376', info: daemonInfo({ name: 'm1', remoteManagers: [{ nodeId: 'mgr1id', addr: 'a:2377' }, { nodeId: 'b', addr: 'b:2377' }, { nodeId: 'c', addr: 'c:2377' }] }) },
      { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' },
      { endpoint: 'tcp://10.0.0.3:2376', error: 'ECONNREFUSED' },
    ];
    w.swarm.opts = { ...w.swarm.opts, quorumLost: true, probes };
    await w.pass(1);
    await w.pass(2);
    expect(w.text()).toMatch(/Quorum lost on c\d+: the swarm can't be changed/);
    expect(w.text()).toMatch(/1 of 3 managers reachable; quorum needs 2 .* so 1 more must come back/);
    expect(w.text()).toMatch(/Reachable managers \(1\):\n {2}- m1 via tcp:\/\/10\.0\.0\.1:2376/);
    expect(w.text()).toMatch(/Bring back 1 of the 2 unreachable managers/);

    // nobody answers at all
    w.swarm.nodes.list = async () => Promise.reject(Object.assign(new Error('down'), { name: 'SwarmError' }));
    w.swarm.opts.probes = [];
    for (let m = 3; m < 15; m++) await w.pass(m);
    expect(w.chat.posts.map((p) => p.reply.title).filter((t) => t.startsWith('Cluster unreachable'))).toHaveLength(1);
  });

  it('a muted node\'s incident is tracked, not posted; `/swarm watch` would list it', async () => {
    const w = world({ graceMinutes: 1 });
    await w.store.putMute({ cluster: w.cluster, target: 'w1', nodeId: w.swarm.nodeList[3]!.id, until: T0 + 60 * MIN, by: 'U0OPS', at: T0 });
    setState(w.swarm, 'w1', 'down');
    for (let m = 0; m < 10; m++) await w.pass(m);
    expect(w.chat.posts).toEqual([]);
    expect((await w.store.load(w.cluster)).incidents).toMatchObject([{ kind: 'node-down', name: 'w1', status: 'open', muted: true }]);
    expect(w.log.lines.filter((l) => l.fields?.['event'] === 'muted')).toHaveLength(1);
    // resolved while muted: nothing to say either
    setState(w.swarm, 'w1', 'ready');
    await w.pass(11);
    await w.pass(12);
    expect(w.chat.posts).toEqual([]);
    expect((await w.store.load(w.cluster)).incidents).toEqual([]);
  });

  it('many nodes down at once are one message; each comes back in its thread, and the message is edited when the last one does', async () => {
    const many = [manager('m1', { leader: true }), manager('m2'), manager('m3'), ...Array.from({ length: 6 }, (_, i) => worker(`w${i + 1}`))];
    const w = world({ graceMinutes: 1 });
    w.swarm.nodeList = many;
    await w.pass(0);
    for (const n of ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']) setState(w.swarm, n, 'down');
    await w.pass(1);
    const [r] = await w.pass(2);
    expect(r!.said).toEqual([`post 6 nodes down on ${w.cluster}`]);
    expect(plain(w.chat.posts[0]!.reply)).toMatch(/w1, w2, w3, w4, w5, w6\. Each is followed in this thread/);
    for (const n of ['w1', 'w2', 'w3']) setState(w.swarm, n, 'ready');
    await w.pass(3);
    expect((await w.pass(4))[0]!.said).toEqual(['thread 3 resolved']);
    expect(w.chat.updates).toEqual([]);
    for (const n of ['w4', 'w5', 'w6']) setState(w.swarm, n, 'ready');
    await w.pass(5);
    expect((await w.pass(6))[0]!.said).toEqual(['thread 3 resolved', `edit Resolved after 5 min: 6 nodes down on ${w.cluster}`]);
    expect(w.chat.posts.slice(1).every((p) => p.threadTs === '1.0001')).toBe(true);
  });

  it('keeps to about one post a second per channel', async () => {
    const w = world({ graceMinutes: 0, timing: { postIntervalMs: 150, groupAt: 10 } });
    const stamps: number[] = [];
    const post = w.chat.post.bind(w.chat);
    w.chat.post = async (...a) => (stamps.push(Date.now()), post(...a));
    for (const n of ['w1', 'w2']) setState(w.swarm, n, 'down');
    w.swarm.nodeList = w.swarm.nodeList.map((n) => (n.hostname === 'm2' ? { ...n, availability: 'drain' as const } : n));
    await w.pass(0);
    expect(stamps).toHaveLength(3);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(140);
  });

  it('one slow cluster never delays another: each has its own deadline, and a cluster that does not answer in time is unreachable', async () => {
    const slow = new FakeSwarm(nodes());
    slow.nodes.list = () => new Promise(() => undefined);
    const fast = new FakeSwarm(nodes());
    setState(fast, 'w2', 'down');
    const w = world({ graceMinutes: 0, swarms: { slow, fast }, timing: { budgetMs: 5_600, postIntervalMs: 0 } });
    const started = Date.now();
    const results = await w.pass(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(results.map((r) => [r.cluster, r.said])).toEqual([
      ['slow', ['post Cluster unreachable: slow']],
      ['fast', ['post Node down: w2 (fast)']],
    ]);
    expect(w.text()).toMatch(/No manager of slow answered the watch: no answer within 1 s/);
  });

  it('offers Drain for a flapping worker and Remove for a node down a day, each only if its command exists', async () => {
    const w = world({ graceMinutes: 2 });
    setState(w.swarm, 'w1', 'down');
    await w.pass(0);
    setState(w.swarm, 'w1', 'ready');
    await w.pass(1);
    setState(w.swarm, 'w1', 'down');
    await w.pass(2);
    const opened = w.chat.posts[0]!;
    expect(buttonsOf(opened.message.blocks as never).map((b) => b.text.text)).toEqual(['Show status', 'Drain']);
    const drain = buttonsOf(opened.message.blocks as never)[1]!;
    expect(verifyAlertButton(drain.value, TOKEN, T0)).toMatchObject({ ok: true, command: `drain ${w.swarm.nodeList[3]!.id} --cluster ${w.cluster}` });
    await w.pass(24 * 60 + 1);
    const day = w.chat.posts.at(-1)!;
    expect(day.threadTs).toBe('1.0001');
    expect(day.reply.title).toBe('Down for a day: w1');
    expect(buttonsOf(day.message.blocks as never).map((b) => b.text.text)).toEqual(['Remove']);
    expect(verifyAlertButton(buttonsOf(day.message.blocks as never)[0]!.value, TOKEN, T0)).toMatchObject({ command: `node rm ${w.swarm.nodeList[3]!.id} --cluster ${w.cluster}` });
  });

  it('a leader change is said once, as information, and a changed quorum count is an update in the thread', async () => {
    const w = world({ graceMinutes: 0 });
    w.swarm.nodeList = [manager('m1', { leader: true }), manager('m2'), manager('m3'), manager('m4'), manager('m5')];
    await w.pass(0);
    w.swarm.nodeList = [manager('m1', { reachability: 'unreachable' }), manager('m2', { leader: true }), manager('m3'), manager('m4', { reachability: 'unreachable' }), manager('m5')];
    const [first] = await w.pass(1);
    expect(first!.said).toEqual([
      // one event, one message: the managers lost and the quorum they put at risk
      `post Quorum at risk on ${w.cluster}: m1, m4 unreachable, one more manager lost stops all changes`,
      `post Leader changed on ${w.cluster}: m1 → m2`,
    ]);
    expect((await w.pass(2))[0]!.said).toEqual([]);
  });

  it('nothing token-shaped in any post', async () => {
    const w = world({ graceMinutes: 0 });
    w.swarm.nodeList = w.swarm.nodeList.map((n) => (n.hostname === 'w1' ? { ...n, state: 'down' as const, hostname: 'w1-SWMTKN-1-abcdef0123456789' } : n));
    await w.pass(0);
    expect(JSON.stringify(w.chat.posts.map((p) => p.message))).not.toMatch(/SWMTKN-1-abc|SWMKEY-1/);
  });
});
