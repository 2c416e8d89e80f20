/**
 * The watch function against the real swarm: invoked as EventBridge invokes
 * it, with a grace period of 3 s (graceMinutes 0.05) so that nothing here
 * sleeps for minutes. Alerts go to the Slack stand-in's channel C0ALERTS;
 * incidents live in the harness's table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateClient } from '../../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../../src/adapters/aws/dynamo-watch.js';
import type { WatchResult } from '../../src/watch/watch-pass.js';
import { ALERT_ACTION } from '../../src/domain/alert-button.js';
import type { WatchIncident } from '../../src/ports.js';
import { docker, labSh, resetSpares, SLOW, waitForHealthy, waitForQuorum } from './lab.js';
import { lambdaContext, labUnavailable, STATE_TABLE, startHarness, USERS, type Harness } from './harness.js';

const ALERTS = 'C0ALERTS';
const GRACE_MS = 3_000;
const MANAGERS = ['lab-n1', 'lab-n2', 'lab-n3'];

type Posted = { method: string; body: Record<string, unknown> };

describe.skipIf(labUnavailable())('the watch, against the real swarm', () => {
  let h: Harness;
  let store: DynamoWatchStore;
  let watch: (event: unknown, context: unknown) => Promise<WatchResult[]>;
  let ticks = 0;
  const stopped = new Set<string>();

  beforeAll(async () => {
    h = await startHarness({ policy: { clusters: { lab: { rotate: ['worker'], watch: { channel: ALERTS, graceMinutes: GRACE_MS / 60_000 } } } } });
    store = new DynamoWatchStore(createStateClient(h.dynamo.clientConfig), STATE_TABLE);
    watch = (await import('../../src/handlers/watch.js')).handler as never;
    resetSpares(h.lab);
    // a spare as a worker: the node to stop
    await h.slash('join worker tcp://10.77.0.14:2376', { user: USERS.operator });
    expect(docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}')).toMatch(/lab-n4 Ready/);
  }, SLOW);

  afterAll(async () => {
    // the lab is shared: all managers up, one at a time, and the spares out of the swarm
    await bringBack(MANAGERS.filter((n) => stopped.has(n)));
    if (stopped.has('lab-n4')) start('lab-n4');
    await waitForHealthy();
    resetSpares(h.lab);
    expect(h.slack.transcript()).not.toMatch(/SWMTKN-|SWMKEY-/);
    expect(h.logLines.join('')).not.toMatch(/SWMTKN-|SWMKEY-/);
    await h?.close();
  }, SLOW);

  /** one scheduled invocation, as EventBridge makes it */
  const tick = async (): Promise<WatchResult> => {
    const event = { version: '0', id: `watch-tick-${++ticks}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: new Date().toISOString(), region: 'eu-west-1', resources: [], detail: {} };
    const [result] = await watch(event, lambdaContext('swarm-ops-test-watch', 60_000));
    expect(result).toMatchObject({ cluster: 'lab', outcome: 'checked' });
    return result!;
  };
  /** ticks (about once a second) until `done` holds */
  async function tickUntil<T>(done: () => T | Promise<T>, what: string, limitMs = 150_000): Promise<NonNullable<T>> {
    const until = Date.now() + limitMs;
    for (;;) {
      await tick();
      const out = await done();
      if (out) return out as NonNullable<T>;
      if (Date.now() > until) throw new Error(`watch: gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const stop = (node: string) => (labSh('stop', node), stopped.add(node));
  const start = (node: string) => (labSh('start', node), stopped.delete(node));
  /**
   * Stopped managers back one at a time (two starting together can split votes for a minute),
   * lab-n1 first: the lab's helpers ask it whether quorum is back.
   */
  async function bringBack(managers: string[]) {
    const [one, ...rest] = [...managers].sort((a, b) => Number(b === 'lab-n1') - Number(a === 'lab-n1'));
    if (!one) return;
    start(one);
    await waitForQuorum();
    for (const m of rest) start(m);
    await waitForHealthy();
  }

  const alerts = (): Posted[] => h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === ALERTS);
  const titled = (re: RegExp) => alerts().filter((p) => !p.body['thread_ts'] && re.test(String(p.body['text'])));
  const replies = (ts: string) => alerts().filter((p) => p.body['thread_ts'] === ts);
  const edits = (ts: string) => h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['channel'] === ALERTS && p.body['ts'] === ts);
  const incidents = async (): Promise<WatchIncident[]> => (await store.load('lab')).incidents;
  const incident = async (kind: string, name: string) => (await incidents()).find((i) => i.kind === kind && i.name === name);
  const leader = () =>
    docker(MANAGERS.find((m) => !stopped.has(m))!, 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}')
      .split('\n')
      .find((l) => l.endsWith(' Leader'))!
      .split(' ')[0]!;

  it('ten passes over a healthy swarm post nothing', async () => {
    for (let i = 0; i < 10; i++) expect((await tick()).said).toEqual([]);
    expect(alerts()).toEqual([]);
    expect((await store.load('lab')).state?.leader?.hostname).toMatch(/^lab-n[123]$/);
  }, SLOW);

  it('a stopped worker: one "node down", only after the grace period; restarted: resolved in its thread and the first message edited', async () => {
    stop('lab-n4');
    const seen = await tickUntil(() => incident('node-down', 'lab-n4'), 'the worker to be seen down');
    expect(titled(/Node down: lab-n4/)).toEqual([]);
    const firstSeen = seen.since;
    const opened = await tickUntil(async () => (await incident('node-down', 'lab-n4'))?.ts, 'the node-down alert');
    const posts = titled(/Node down: lab-n4/);
    expect(posts).toHaveLength(1);
    expect((await incident('node-down', 'lab-n4'))!.openedAt! - firstSeen).toBeGreaterThanOrEqual(GRACE_MS);
    expect(JSON.stringify(posts[0]!.body)).toMatch(/\/swarm status --cluster lab/);
    for (let i = 0; i < 5; i++) await tick();
    expect(titled(/Node down: lab-n4/)).toHaveLength(1);

    // the alert's Show status button: an ordinary status command of the viewer who clicks it
    const blocks = posts[0]!.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
    const button = blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id.startsWith(ALERT_ACTION))!;
    const postsBefore = h.slack.posts.length;
    const clicked = await h.click({ actionId: button.action_id, value: button.value, user: USERS.viewer, channel: ALERTS, messageTs: opened });
    // the answer goes where the worker puts a command's result: the click's response URL, or a message in the channel
    expect(JSON.stringify([clicked.responses, h.slack.posts.slice(postsBefore)])).toMatch(/Swarm lab: (healthy|degraded)/);
    const forged = await h.click({ actionId: button.action_id, value: button.value.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), user: USERS.viewer, channel: ALERTS, messageTs: opened });
    expect(JSON.stringify(forged.responses)).toMatch(/not issued by swarm-ops for this channel/);

    start('lab-n4');
    await tickUntil(async () => !(await incident('node-down', 'lab-n4')), 'the node-down incident to resolve');
    expect(replies(opened).map((p) => String(p.body['text']))).toEqual([expect.stringMatching(/Resolved after \d+ min: Node down: lab-n4/)]);
    expect(edits(opened)).toHaveLength(1);
    expect(JSON.stringify(edits(opened)[0]!.body)).toMatch(/Resolved after \d+ min: Node down: lab-n4/);
  }, SLOW);

  it('a muted node\'s incident is tracked and not posted; the mute is audited', async () => {
    const muted = await h.slash('watch mute lab-n4 1h', { user: USERS.operator });
    expect(muted.resultText).toMatch(/Muted until \d\d:\d\d UTC: lab-n4 on lab/);
    expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/audit: succeeded \/swarm watch mute lab-n4 1h/);
    const before = alerts().length;
    stop('lab-n4');
    await tickUntil(async () => (await incident('node-down', 'lab-n4'))?.status === 'open', 'the muted incident to open');
    for (let i = 0; i < 3; i++) await tick();
    expect(await incident('node-down', 'lab-n4')).toMatchObject({ muted: true });
    expect(alerts().length).toBe(before);
    const listed = await h.slash('watch', { user: USERS.viewer });
    expect(listed.resultText).toMatch(/Node down: lab-n4 \(lab\)/);
    expect(listed.resultText).toMatch(/muted/);
    start('lab-n4');
    await tickUntil(async () => !(await incident('node-down', 'lab-n4')), 'the muted incident to clear');
    expect(alerts().length).toBe(before);
    expect((await h.slash('watch unmute lab-n4', { user: USERS.operator })).resultText).toMatch(/Unmuted: lab-n4 on lab/);
  }, SLOW);

  it('the leader stopped: "leader changed" and "quorum at risk"; a second manager stopped: "quorum lost", naming the manager that answers and how many more are needed; both back: every incident resolved', async () => {
    const first = leader();
    stop(first);
    await tickUntil(() => titled(/Leader changed on lab/).length && titled(/Quorum at risk on lab/).length, '"leader changed" and "quorum at risk"');
    expect(JSON.stringify(titled(/Leader changed on lab/)[0]!.body)).toContain(`${first} →`);
    expect(JSON.stringify(titled(/Quorum at risk on lab/)[0]!.body)).toMatch(/2 of 3 managers reachable; quorum 2/);
    // one event, one message: the manager lost is named in the quorum's incident, not in one of its own
    expect(titled(/Quorum at risk on lab/)).toHaveLength(1);
    expect(String(titled(/Quorum at risk on lab/)[0]!.body['text'])).toContain(first);
    expect(titled(/Manager unreachable/)).toEqual([]);

    const second = leader();
    const survivor = MANAGERS.find((m) => m !== first && m !== second)!;
    const survivorIp = h.lab.nodes.find((n) => n.name === survivor)!.ip;
    stop(second);
    await tickUntil(() => titled(/Quorum lost on lab/).length, '"quorum lost"');
    const lost = JSON.stringify(titled(/Quorum lost on lab/)[0]!.body);
    expect(lost).toMatch(/1 of 3 managers reachable; quorum needs 2/);
    expect(lost).toMatch(/Bring back 1 of the 2 unreachable managers/);
    expect(lost).toMatch(new RegExp(`Reachable managers \\(1\\)[^"]*(${survivor}|${survivorIp.replace(/\./g, '\\.')})`));
    expect(titled(/Quorum lost on lab/)).toHaveLength(1);

    await bringBack([first, second]);
    await tickUntil(async () => (await incidents()).length === 0, 'every incident to resolve', 180_000);
    // the incidents' own messages (each says when it was first seen), not the notices or a command's answer
    const opened = alerts().filter((p) => !p.body['thread_ts'] && /first seen/.test(JSON.stringify(p.body['blocks'])));
    const resolvedEdits = h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['channel'] === ALERTS && /Resolved after/.test(String(p.body['text'])));
    expect(resolvedEdits.length).toBe(opened.length);
    expect(new Set(resolvedEdits.map((e) => e.body['ts'])).size).toBe(opened.length);
  }, 2 * SLOW);
});
