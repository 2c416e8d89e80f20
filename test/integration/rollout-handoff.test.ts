/**
 * A rollout longer than the worker's follow time: the worker hands it to the
 * watch, and a watch pass edits the same message with the verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './lab.js';
import { labPolicy, labUnavailable, lambdaContext, startHarness, type Harness } from './harness.js';

const IMAGE = 'swarm-ops/probe:latest';
const V2 = 'swarm-ops/probe:v2';

describe.skipIf(labUnavailable())('a rollout the watch carries on', () => {
  let h: Harness;
  beforeAll(async () => {
    // the worker follows for 2 s only; the rollout takes longer (5 s between tasks)
    h = await startHarness({ policy: { ...labPolicy(), rolloutFollowSeconds: 2 } });
    for (const n of h.lab.nodes) docker(n.name, 'tag', IMAGE, V2);
    try {
      docker('lab-n1', 'service', 'rm', 'svc-slow');
    } catch {
      // not there
    }
    docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', 'svc-slow', '--replicas', '2', '--update-delay', '5s', '--update-monitor', '1s', IMAGE, 'sleep', '3600');
    for (const end = Date.now() + 90_000; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
      if (docker('lab-n1', 'service', 'ls', '--filter', 'name=svc-slow', '--format', '{{.Replicas}}') === '2/2') break;
    }
  }, 150_000);
  afterAll(async () => {
    try {
      docker('lab-n1', 'service', 'rm', 'svc-slow');
    } catch {
      // gone
    }
    await h?.close();
  });

  it('the worker says the watch goes on; a watch pass edits the same message with the verdict', async () => {
    const r = await h.slash(`service update svc-slow --image ${V2}`);
    expect(r.resultText).toMatch(/Update still rolling out/);
    expect(r.resultText).toMatch(/The watch goes on following it and edits this message with the verdict/);
    // the channel message the answer is in
    const progress = h.slack.posts.find((p) => p.method === 'chat.postMessage' && /Working on \/swarm service update/.test(JSON.stringify(p.body)));
    expect(progress).toBeDefined();
    const channel = progress!.body['channel'];
    const watch = (await import('../../src/handlers/watch.js')).handler;
    let verdict: Record<string, unknown> | undefined;
    for (const end = Date.now() + 120_000; !verdict && Date.now() < end; await new Promise((res) => setTimeout(res, 2000))) {
      await watch({ id: `tick-${Date.now()}` }, lambdaContext('swarm-ops-test-watch', 55_000) as never);
      verdict = h.slack.posts.find((p) => p.method === 'chat.update' && p.body['channel'] === channel && /Update done/.test(JSON.stringify(p.body)))?.body;
    }
    expect(verdict, 'the watch edited the message with the verdict').toBeDefined();
    // the same message: the ts the worker's progress went out as
    const ts = h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['channel'] === channel).map((p) => p.body['ts']);
    expect(new Set(ts).size).toBe(1);
    expect(JSON.stringify(verdict)).toMatch(/svc-slow.*converged, 2 of 2 tasks running .*swarm-ops\/probe:v2/);
    expect(JSON.stringify(verdict)).toMatch(/followed to its verdict by the watch/);
  });
});
