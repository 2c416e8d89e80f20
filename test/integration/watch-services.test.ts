/**
 * The watch over services on the real swarm, through the packaged watch
 * handler (grace period 3 s: graceMinutes 0.05): ten healthy services post
 * nothing; a crash loop (exit 3) is one incident, resolved in its thread once
 * `service update --image` fixed it; a rollout to an image no node has is a
 * halted-rollout incident whose Roll back button works; `--env-add` over the
 * CLI is posted once, naming the variable and never its value, and a scale
 * through the bot is not posted at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_ACTION } from '../../src/domain/alert-button.js';
import type { WatchResult } from '../../src/watch/watch-pass.js';
import { docker, SLOW } from './lab.js';
import { lambdaContext, labUnavailable, startHarness, USERS, type Harness } from './harness.js';

const ALERTS = 'C0ALERTS';
const IMAGE = 'swarm-ops/probe:latest';
const V2 = 'swarm-ops/probe:v2';
const TEN = Array.from({ length: 10 }, (_, n) => `wsvc-${n}`);
const SERVICES = [...TEN, 'wsvc-crash', 'wsvc-pinned'];

type Posted = { method: string; body: Record<string, unknown> };

const rm = () => {
  for (const s of SERVICES) {
    try {
      docker('lab-n1', 'service', 'rm', s);
    } catch {
      // not there
    }
  }
};

describe.skipIf(labUnavailable())('the watch over services, against the real swarm', () => {
  let h: Harness;
  let watch: (event: unknown, context: unknown) => Promise<WatchResult[]>;
  let ticks = 0;

  beforeAll(async () => {
    h = await startHarness({ policy: { clusters: { lab: { watch: { channel: ALERTS, graceMinutes: 0.05 } } } } });
    watch = (await import('../../src/handlers/watch.js')).handler as never;
    for (const n of h.lab.nodes) docker(n.name, 'tag', IMAGE, V2);
    rm();
    for (const s of TEN) docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', s, '--replicas', '1', '--update-monitor', '2s', IMAGE, 'sleep', '3600');
    for (const end = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      const ls = docker('lab-n1', 'service', 'ls', '--filter', 'name=wsvc-', '--format', '{{.Replicas}}').split('\n');
      if (ls.length === 10 && ls.every((l) => l.startsWith('1/1'))) break;
      if (Date.now() > end) throw new Error('the ten services did not start');
    }
  }, SLOW);

  afterAll(async () => {
    rm();
    await h?.close();
  });

  const tick = async (): Promise<WatchResult> => {
    const event = { version: '0', id: `watch-svc-tick-${++ticks}`, 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), resources: [], detail: {} };
    const [result] = await watch(event, lambdaContext('swarm-ops-test-watch', 60_000));
    expect(result).toMatchObject({ cluster: 'lab', outcome: 'checked' });
    return result!;
  };
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
  const alerts = (): Posted[] => h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === ALERTS);
  const titled = (re: RegExp) => alerts().filter((p) => !p.body['thread_ts'] && re.test(String(p.body['text'])));
  const replies = (ts: string) => alerts().filter((p) => p.body['thread_ts'] === ts);
  const edits = (ts: string) => h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['channel'] === ALERTS && p.body['ts'] === ts);
  const buttons = (p: Posted) => ((p.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>).find((b) => b.type === 'actions')?.elements ?? []);

  it('three passes over a swarm with ten healthy services post nothing (the first only records them)', async () => {
    for (let i = 0; i < 3; i++) expect((await tick()).said).toEqual([]);
    expect(alerts()).toEqual([]);
  }, SLOW);

  it('`docker service update --env-add FOO=secret`: one post naming the service and FOO, never the value, with Roll back; nothing on the next two passes; a scale through the bot: no such post', async () => {
    docker('lab-n1', 'service', 'update', '--detach', '--env-add', 'FOO=secret', 'wsvc-0');
    const [post] = await tickUntil(() => (titled(/Changed outside swarm-ops: wsvc-0 \(lab\)/).length ? titled(/Changed outside swarm-ops: wsvc-0 \(lab\)/) : undefined), 'the outside change to be posted', 60_000);
    const body = JSON.stringify(post!.body);
    expect(body).toMatch(/environment variable added: `FOO`/);
    expect(body).not.toMatch(/secret/);
    expect(buttons(post!).map((b) => b.text.text)).toContain('Roll back');
    for (let i = 0; i < 2; i++) await tick();
    expect(titled(/Changed outside swarm-ops: wsvc-0/)).toHaveLength(1);

    const scaled = await h.slash('service scale wsvc-1=2', { user: USERS.operator });
    expect(scaled.resultText).toMatch(/Scale done/);
    for (let i = 0; i < 3; i++) await tick();
    expect(titled(/outside swarm-ops: wsvc-1/)).toEqual([]);
  }, SLOW);

  it('tasks that exit 3: one crash-loop incident naming the service and the exit code; fixed with `service update --image`: resolved in its thread, the first message edited', async () => {
    docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', 'wsvc-crash', '--replicas', '1', '--restart-delay', '1s', IMAGE, 'sh', '-c', 'exit 3');
    const [post] = await tickUntil(() => (titled(/Crash loop: wsvc-crash \(lab\)/).length ? titled(/Crash loop: wsvc-crash \(lab\)/) : undefined), 'the crash loop', 120_000);
    expect(JSON.stringify(post!.body)).toMatch(/non-zero exit \(3\)/);
    for (let i = 0; i < 3; i++) await tick();
    expect(titled(/wsvc-crash \(lab\)/).filter((p) => /Crash loop|Replicas below/.test(String(p.body['text'])))).toHaveLength(1);

    docker('lab-n1', 'service', 'update', '--detach', '--image', V2, '--args', 'sleep 3600', 'wsvc-crash');
    await tickUntil(() => h.slack.posts.some((p) => p.method === 'chat.update' && p.body['channel'] === ALERTS && /Resolved after .*Crash loop: wsvc-crash/.test(String(p.body['text']))), 'the crash loop to resolve', 180_000);
    const edit = h.slack.posts.find((p) => p.method === 'chat.update' && /Crash loop: wsvc-crash/.test(String(p.body['text'])))!;
    expect(replies(String(edit.body['ts'])).map((p) => String(p.body['text']))).toEqual([expect.stringMatching(/Resolved after .*: Crash loop: wsvc-crash/)]);
    expect(edits(String(edit.body['ts']))).toHaveLength(1);
  }, 2 * SLOW);

  it('a rollout to an image no node has: Docker pauses it, a halted-rollout incident with a Roll back button that works', async () => {
    const bad = await h.slash('service update wsvc-2 --image swarm-ops/probe:nowhere', { user: USERS.operator });
    expect(bad.resultText).toMatch(/Update paused/);
    const [post] = await tickUntil(() => (titled(/Rollout halted: wsvc-2 \(lab\)/).length ? titled(/Rollout halted: wsvc-2 \(lab\)/) : undefined), 'the halted rollout', 90_000);
    expect(JSON.stringify(post!.body)).toMatch(/Docker paused the rollout/);
    // the bot's own update is not a change made outside
    expect(titled(/outside swarm-ops: wsvc-2/)).toEqual([]);
    const button = buttons(post!).find((b) => b.text.text === 'Roll back')!;
    expect(button.action_id.startsWith(ALERT_ACTION)).toBe(true);
    await h.click({ actionId: button.action_id, value: button.value, user: USERS.operator, channel: ALERTS });
    for (const end = Date.now() + 90_000; docker('lab-n1', 'service', 'inspect', 'wsvc-2', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}') !== IMAGE; await new Promise((r) => setTimeout(r, 1000))) {
      if (Date.now() > end) throw new Error('the Roll back click did not roll back');
    }
    await tickUntil(() => h.slack.posts.some((p) => p.method === 'chat.update' && /Resolved after .*Rollout halted: wsvc-2/.test(String(p.body['text']))), 'the halted rollout to resolve', 120_000);
    expect(titled(/outside swarm-ops: wsvc-2/)).toEqual([]);
  }, 2 * SLOW);

  it('a service constrained to a node that is then drained: a cannot-be-scheduled (or below desired) incident, resolved when the node is active again', async () => {
    docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', 'wsvc-pinned', '--replicas', '1', '--constraint', 'node.hostname==lab-n3', IMAGE, 'sleep', '3600');
    for (const end = Date.now() + 90_000; docker('lab-n1', 'service', 'ls', '--filter', 'name=wsvc-pinned', '--format', '{{.Replicas}}') !== '1/1'; await new Promise((r) => setTimeout(r, 1000))) {
      if (Date.now() > end) throw new Error('wsvc-pinned did not start');
    }
    await tick();
    try {
      docker('lab-n1', 'node', 'update', '--availability', 'drain', 'lab-n3');
      const incident = /(Tasks can't be scheduled|Replicas below desired): wsvc-pinned \(lab\)/;
      const [post] = await tickUntil(() => (titled(incident).length ? titled(incident) : undefined), 'the unschedulable service', 120_000);
      expect(JSON.stringify(post!.body)).toMatch(/no suitable node|node\.hostname==lab-n3|0 of 1/);
      // one incident for the service (its creation with the CLI was noted once too, as a change made outside swarm-ops)
      expect(titled(incident)).toHaveLength(1);
      expect(titled(/wsvc-pinned \(lab\)/).filter((p) => !/outside swarm-ops/i.test(String(p.body['text'])))).toHaveLength(1);
    } finally {
      docker('lab-n1', 'node', 'update', '--availability', 'active', 'lab-n3');
    }
    await tickUntil(() => h.slack.posts.some((p) => p.method === 'chat.update' && /Resolved after .*wsvc-pinned/.test(String(p.body['text']))), 'the incident to resolve', 150_000);
  }, 2 * SLOW);
});
