/**
 * One event, one message, on a swarm of four managers: one of them stopped
 * puts the quorum at risk (3 of 4 reachable, quorum 3, no failure left to
 * tolerate), and the watch opens exactly one top-level incident that names
 * the manager and the quorum at risk — no "manager unreachable" and no
 * "node down" of its own beside it, however long it stays down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchResult } from '../../src/watch/watch-pass.js';
import { docker, joinToken, labSh, resetSpares, SLOW, waitForHealthy } from './lab.js';
import { lambdaContext, labUnavailable, startHarness, type Harness } from './harness.js';

const ALERTS = 'C0ALERTS';
type Posted = { method: string; body: Record<string, unknown> };

describe.skipIf(labUnavailable())('the watch on a 4-manager swarm', () => {
  let h: Harness;
  let watch: (event: unknown, context: unknown) => Promise<WatchResult[]>;
  let ticks = 0;
  let stopped = false;

  beforeAll(async () => {
    h = await startHarness({ policy: { clusters: { lab: { rotate: ['worker'], watch: { channel: ALERTS, graceMinutes: 0.05 } } } } });
    watch = (await import('../../src/handlers/watch.js')).handler as never;
    resetSpares(h.lab);
    // a fourth manager: lab-n5 joins with the manager token (the lab's own CLI, not the bot: this test is about the watch)
    docker('lab-n5', 'swarm', 'join', '--token', joinToken('manager'), '10.77.0.11:2377');
    for (const end = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      const managers = docker('lab-n1', 'node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}} {{.ManagerStatus}}').split('\n');
      if (managers.length === 4 && managers.every((l) => / (Leader|Reachable)$/.test(l))) break;
      if (Date.now() > end) throw new Error(`four reachable managers wanted: ${managers.join('; ')}`);
    }
  }, SLOW);

  afterAll(async () => {
    if (stopped) labSh('start', 'lab-n3');
    await waitForHealthy(150_000, 'core');
    resetSpares(h.lab);
    await waitForHealthy();
    await h?.close();
  }, SLOW);

  const tick = async (): Promise<WatchResult> => {
    const event = { version: '0', id: `watch-4m-tick-${++ticks}`, 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), resources: [], detail: {} };
    const [result] = await watch(event, lambdaContext('swarm-ops-test-watch', 60_000));
    expect(result).toMatchObject({ cluster: 'lab', outcome: 'checked' });
    return result!;
  };
  const topLevel = (): Posted[] => h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === ALERTS && !p.body['thread_ts']);

  it('one manager stopped: exactly one top-level incident, naming the manager and the quorum at risk', async () => {
    for (let i = 0; i < 2; i++) expect((await tick()).said).toEqual([]);
    // not the leader: the leader changing would be an event of its own
    const leader = docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}').split('\n').find((l) => l.endsWith(' Leader'))!.split(' ')[0];
    expect(leader).not.toBe('lab-n3');
    labSh('stop', 'lab-n3');
    stopped = true;
    for (const end = Date.now() + 120_000; !topLevel().length; await new Promise((r) => setTimeout(r, 1000))) {
      await tick();
      if (Date.now() > end) throw new Error('no incident posted');
    }
    // past Docker's "down" (about 16 s after the stop) and several grace periods: still the one message
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) await tick();
    const posts = topLevel();
    expect(posts.map((p) => String(p.body['text']))).toEqual([expect.stringMatching(/Quorum at risk on lab/)]);
    const body = JSON.stringify(posts[0]!.body);
    expect(body).toContain('lab-n3');
    expect(body).toMatch(/3 of 4 managers reachable; quorum 3/);
  }, SLOW);
});
