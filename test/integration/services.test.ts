/**
 * Services on the real swarm, through the real handlers: the probe image tagged
 * a second time as :v2 on every node (no registry), services made with the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, readLab } from './lab.js';
import { labUnavailable, startHarness, USERS, type Harness } from './harness.js';

const IMAGE = 'swarm-ops/probe:latest';
const V2 = 'swarm-ops/probe:v2';
const SERVICES = ['svc-web', 'svc-crash', 'svc-agent', 'svc-logs'];

const rm = () => {
  for (const s of SERVICES) {
    try {
      docker('lab-n1', 'service', 'rm', s);
    } catch {
      // not there
    }
  }
};

async function until<T>(what: string, fn: () => T | undefined, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(labUnavailable())('services on the real swarm', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    for (const n of h.lab.nodes) docker(n.name, 'tag', IMAGE, V2);
    rm();
    const create = (...args: string[]) => docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', ...args);
    create('--name', 'svc-web', '--replicas', '3', '--update-monitor', '1s', '--update-failure-action', 'pause', IMAGE, 'sleep', '3600');
    create('--name', 'svc-crash', '--replicas', '1', '--restart-delay', '1s', IMAGE, 'sh', '-c', 'exit 3');
    create('--name', 'svc-agent', '--mode', 'global', IMAGE, 'sleep', '3600');
    create('--name', 'svc-logs', '--replicas', '2', '--placement-pref', 'spread=node.id', IMAGE, 'sh', '-c', 'i=0; while [ $i -lt 15 ]; do echo "line-$i from $(hostname)"; i=$((i+1)); sleep 0.2; done; sleep 3600');
    const managers = readLab().nodes.filter((n) => n.role === 'manager').length;
    await until('services running', () => {
      const ls = docker('lab-n1', 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}');
      return /svc-web 3\/3/.test(ls) && new RegExp(`svc-agent ${managers}/${managers}`).test(ls) && /svc-logs 2\/2/.test(ls) ? true : undefined;
    }, 120_000);
  }, 180_000);
  afterAll(async () => {
    rm();
    await h?.close();
  });

  it('services: the crashing one first with its crash loop, the global one as nodes running', async () => {
    // three failures of svc-crash (restart delay 1 s)
    await until('a crash loop', () => (docker('lab-n1', 'service', 'ps', 'svc-crash', '--format', '{{.Error}}').split('\n').filter((l) => /exit \(3\)/.test(l)).length >= 3 ? true : undefined), 90_000);
    const r = await h.slash('services');
    expect(r.result?.response_type).toBe('in_channel');
    const text = r.resultText;
    expect(text).toMatch(/svc-crash\s+crash loop/);
    expect(text).toMatch(/svc-agent\s+ok\s+global 3\/3/);
    expect(text).toMatch(/svc-web\s+ok\s+3\/3\s+swarm-ops\/probe:latest/);
    expect(text.indexOf('svc-crash')).toBeLessThan(text.indexOf('svc-agent'));
  });

  it('service <name>: the exit code and the crash loop named', async () => {
    const r = await h.slash('service svc-crash');
    expect(r.resultText).toMatch(/Service svc-crash on lab: crash loop/);
    expect(r.resultText).toMatch(/task failures in the last 10 minutes; the last: `task: non-zero exit \(3\)`/);
    const web = await h.slash('service svc-web');
    expect(web.resultText).toMatch(/Service svc-web on lab: healthy/);
    expect(web.resultText).toMatch(/svc-web\.1\s+lab-n\d\s+running/);
  });

  it('service logs: lines of tasks on two nodes, in time order, prefixed by slot and node', async () => {
    await until('15 lines from each task', () => (docker('lab-n1', 'service', 'logs', '--raw', 'svc-logs').split('\n').filter((l) => /line-14/.test(l)).length >= 2 ? true : undefined), 60_000);
    const r = await h.slash('service logs svc-logs --tail 2000');
    // the answer's blocks (the fallback text repeats them)
    const lines = [...JSON.stringify(r.result?.blocks).matchAll(/(\d\d:\d\d:\d\d\.\d{3}) svc-logs\.(\d)@(lab-n\d) \| line-(\d+) from/g)];
    expect(lines.length).toBe(30);
    const stamps = lines.map((m) => m[1]!);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(lines.map((m) => m[3])).size).toBe(2);
    // the audit channel hears of it
    expect(h.auditPosts().map((p) => JSON.stringify(p.body)).join('\n')).toMatch(/service logs svc-logs/);
  });

  it('scale converges and says so; a global service is refused with why', async () => {
    const r = await h.slash('service scale svc-web=4');
    expect(r.resultText).toMatch(/Scale done/);
    expect(r.resultText).toMatch(/`svc-web`: converged, 4 of 4 tasks/);
    expect(docker('lab-n1', 'service', 'ls', '--filter', 'name=svc-web', '--format', '{{.Replicas}}')).toBe('4/4');
    const g = await h.slash('service scale svc-agent=2');
    expect(g.resultText).toMatch(/is a global service/);
  });

  it('update --image to v2 converges; to an image no node has, Docker pauses and the verdict names the error and a node; rollback restores', async () => {
    const up = await h.slash(`service update svc-web --image ${V2}`);
    expect(up.resultText).toMatch(/Update done/);
    expect(docker('lab-n1', 'service', 'inspect', 'svc-web', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}')).toBe(V2);

    const bad = await h.slash('service update svc-web --image swarm-ops/probe:nowhere');
    expect(bad.resultText).toMatch(/Update paused/);
    expect(bad.resultText).toMatch(/No such image: swarm-ops\/probe:nowhere/);
    expect(bad.resultText).toMatch(/on `lab-n\d`/);
    expect(bad.resultText).toMatch(/service rollback svc-web/);

    // the verdict's Roll back button: signed, clicked by an operator, an ordinary command of theirs
    const button = ((bad.result?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string; text: { text: string } }> }>)
      .find((b) => b.type === 'actions')
      ?.elements?.find((e) => e.text.text === 'Roll back');
    expect(button, 'a Roll back button on the paused rollout').toBeDefined();
    const postsBefore = h.slack.posts.length;
    const click = await h.click({ actionId: button!.action_id, value: button!.value, user: USERS.operator, channel: 'C0PRODOPS' });
    expect(click.status).toBe(200);
    const after = JSON.stringify([...click.responses, ...h.slack.posts.slice(postsBefore).map((p) => p.body)]);
    expect(after).toMatch(/Rollback done/);
    expect(docker('lab-n1', 'service', 'inspect', 'svc-web', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}')).toBe(V2);
    expect(h.auditPosts().map((p) => JSON.stringify(p.body)).join('\n')).toMatch(/service rollback svc-web/);

  });

  it('restart rolls every task and converges', async () => {
    const before = docker('lab-n1', 'service', 'ps', 'svc-web', '--filter', 'desired-state=running', '--format', '{{.ID}}').split('\n').sort();
    const r = await h.slash('service restart svc-web');
    expect(r.resultText).toMatch(/Restart done/);
    const after = docker('lab-n1', 'service', 'ps', 'svc-web', '--filter', 'desired-state=running', '--format', '{{.ID}}').split('\n').sort();
    expect(after.some((id) => before.includes(id))).toBe(false);
  });
});
