/**
 * Service incidents from one look at the services and their tasks (pure),
 * and what reconcile makes of them with a fake clock: one incident per
 * service and cause, the most specific; a crash loop and a halted rollout
 * open at once, below desired after the grace period; flaps stay one.
 */
import { describe, expect, it } from 'vitest';
import { detect, type Observation } from '../../src/watch/detect.js';
import { CRASH_QUIET_MS, serviceFindings } from '../../src/watch/detect-services.js';
import { reconcile, mutedBy, type Change } from '../../src/watch/reconcile.js';
import type { SwarmService, SwarmTask, WatchIncident, WatchMute } from '../../src/ports.js';
import { manager, service, task, worker } from '../support/fixtures.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-03T10:00:00Z');
const nodes = [manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')];
const W1 = nodes[3]!.id;
const at = (ms: number) => new Date(T0 + ms);

/** three exits (3) within the last minutes, nothing running */
function crashing(now = T0): { svc: SwarmService; tasks: SwarmTask[] } {
  const svc = service('api', { replicas: 1, running: 0, desired: 1, previous: { image: 'registry.example/app:0.9', replicas: 1, fingerprint: 'old' } });
  const tasks = [1, 2, 3].map((n) =>
    task(svc, 1, W1, { id: `crash${n}`.padEnd(25, '0'), state: 'failed', desiredState: 'shutdown', error: 'task: non-zero exit (3)', exitCode: 3, at: new Date(now - n * 20_000) }),
  );
  return { svc, tasks };
}

function watcher(graceMinutes = 3) {
  let incidents: WatchIncident[] = [];
  const mutes: WatchMute[] = [];
  let posted = 0;
  function pass(obs: Observation, minute: number) {
    const now = T0 + minute * MIN;
    const graceMs = graceMinutes * MIN;
    const d = detect(obs, undefined, { cluster: 'prod', now, graceMs });
    const changes = reconcile({ cluster: 'prod', now, graceMs, findings: d.findings, evaluated: d.evaluated, incidents, mutes });
    const byKey = new Map(incidents.map((i) => [`${i.kind}#${i.subject}`, i]));
    for (const c of changes) {
      const key = `${c.incident.kind}#${c.incident.subject}`;
      if (c.type === 'resolve' || c.type === 'drop') byKey.delete(key);
      else if (c.type === 'open') byKey.set(key, { ...c.incident, status: 'open', ...(mutedBy(c.incident, mutes, now) ? { muted: true } : { ts: `${++posted}.0` }) });
      else byKey.set(key, c.incident);
    }
    incidents = [...byKey.values()];
    return { changes, findings: d.findings };
  }
  return { pass, mutes, incidents: () => incidents };
}
const kinds = (changes: Change[]) => changes.map((c) => `${c.type} ${c.incident.kind} ${c.incident.name}`);

describe('the watch, for services: detection', () => {
  it('healthy services give nothing to say', () => {
    const web = service('web', { replicas: 3, running: 3, desired: 3 });
    expect(serviceFindings([web], [1, 2, 3].map((n) => task(web, n, W1)), nodes, T0)).toEqual([]);
  });

  it('a crash loop: one finding (not also "below desired"), with the last error, the exit code, the node and Roll back', () => {
    const { svc, tasks } = crashing();
    const [f, ...more] = serviceFindings([svc], tasks, nodes, T0);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ kind: 'service-crash-loop', subject: svc.id, name: 'api', detail: 'exit 3', rollback: true });
    expect(f!.text).toBe("`api`'s tasks keep failing: 3 failures in the last 10 minutes, the last on `w1`: `task: non-zero exit (3)`. It runs 0/1.");
  });

  it('a crash loop is over once the service runs as desired and no task failed for a minute', () => {
    const { svc, tasks } = crashing();
    const fixed = { ...svc, running: 1 };
    expect(serviceFindings([fixed], tasks, nodes, T0).map((f) => f.kind)).toEqual(['service-crash-loop']);
    expect(serviceFindings([fixed], tasks, nodes, T0 + CRASH_QUIET_MS)).toEqual([]);
  });

  it('a rollout Docker paused: the most specific cause, with Docker\'s message, the failing task and Roll back', () => {
    const svc = service('web', {
      replicas: 3,
      running: 2,
      desired: 3,
      image: 'registry.example/app:nowhere',
      update: { state: 'paused', message: 'update paused due to failure or early termination of task abc123' },
      previous: { image: 'registry.example/app:1.0', replicas: 3, fingerprint: 'old' },
    });
    const tasks = [task(svc, 1, W1, { id: 'abc123'.padEnd(25, '0'), state: 'rejected', error: 'No such image: registry.example/app:nowhere', at: at(-5_000) })];
    const [f, ...more] = serviceFindings([svc], tasks, nodes, T0);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ kind: 'service-rollout', detail: 'paused', rollback: true });
    expect(f!.text).toMatch(/^Docker paused the rollout of `web` to `registry.example\/app:nowhere`: it runs 2\/3\. Docker says: `update paused due to failure or early termination of task abc123`\.\nFailing: `web\.1` on `w1`: rejected: `No such image: registry.example\/app:nowhere`$/);
  });

  it('tasks no node can take: "no suitable node" and why, with the constraints', () => {
    const svc = service('db', { replicas: 1, running: 0, desired: 1, constraints: ['node.hostname==w2'] });
    const tasks = [task(svc, 1, '', { state: 'pending', message: 'pending task scheduling', error: 'no suitable node (scheduling constraints not satisfied on 5 nodes)' })];
    const [f] = serviceFindings([svc], tasks, nodes, T0);
    expect(f).toMatchObject({ kind: 'service-unschedulable', name: 'db', rollback: false });
    expect(f!.text).toBe("1 task of `db` can't be scheduled: `no suitable node (scheduling constraints not satisfied on 5 nodes)`. It runs 0/1. Its constraints: `node.hostname==w2`.");
  });

  it('replicas below desired name the failing tasks\' nodes and errors; a rollout under way is left to its own message', () => {
    const svc = service('web', { replicas: 3, running: 2, desired: 3 });
    const tasks = [task(svc, 1, W1), task(svc, 2, W1), task(svc, 3, nodes[4]!.id, { state: 'starting', error: 'mount failed: no such volume', at: at(-1000) })];
    const [f] = serviceFindings([svc], tasks, nodes, T0);
    expect(f).toMatchObject({ kind: 'service-replicas', detail: 'of 3' });
    expect(f!.text).toBe('`web` runs 2 of 3 replicas.\nFailing: `web.3` on `w2`: starting: `mount failed: no such volume`');
    expect(serviceFindings([{ ...svc, update: { state: 'updating', message: 'update in progress' } }], tasks, nodes, T0)).toEqual([]);
  });

  it('the overlay check\'s probe services are the bot\'s own: never an incident', () => {
    const probe = service('swarm-ops-probe-req1', { mode: 'global', running: 0, desired: 5 });
    expect(serviceFindings([probe], [], nodes, T0)).toEqual([]);
  });

  it('a pass that could not read the services leaves service incidents as they are', () => {
    const d = detect({ nodes }, undefined, { cluster: 'prod', now: T0, graceMs: 0 });
    expect(d.evaluated.has('service-replicas')).toBe(false);
    expect(detect({ nodes, services: [], tasks: [] }, undefined, { cluster: 'prod', now: T0, graceMs: 0 }).evaluated.has('service-replicas')).toBe(true);
  });
});

describe('the watch, for services: incidents (fake clock)', () => {
  it('a crash loop opens at once; fixed, it resolves after the grace period; one incident throughout', () => {
    const w = watcher(3);
    const { svc, tasks } = crashing(T0);
    expect(kinds(w.pass({ nodes, services: [svc], tasks }, 0).changes)).toEqual(['open service-crash-loop api']);
    const later = crashing(T0 + MIN).tasks;
    expect(kinds(w.pass({ nodes, services: [svc], tasks: later }, 1).changes)).toEqual([]);
    const fixed = { ...svc, running: 1 };
    const good = [task(fixed, 1, W1, { at: at(2 * MIN) })];
    expect(kinds(w.pass({ nodes, services: [fixed], tasks: [...later, ...good] }, 3).changes)).toEqual(['track service-crash-loop api']);
    expect(kinds(w.pass({ nodes, services: [fixed], tasks: [...later, ...good] }, 6).changes)).toEqual(['resolve service-crash-loop api']);
  });

  it('below desired waits for the grace period; a flap inside it stays one incident', () => {
    const w = watcher(3);
    const svc = service('web', { replicas: 3, running: 2, desired: 3 });
    const whole = { ...svc, running: 3 };
    expect(kinds(w.pass({ nodes, services: [svc], tasks: [] }, 0).changes)).toEqual(['track service-replicas web']);
    expect(kinds(w.pass({ nodes, services: [whole], tasks: [] }, 1).changes)).toEqual(['track service-replicas web']);
    expect(kinds(w.pass({ nodes, services: [svc], tasks: [] }, 2).changes)).toEqual(['track service-replicas web']);
    expect(kinds(w.pass({ nodes, services: [svc], tasks: [] }, 3).changes)).toEqual(['open service-replicas web']);
    expect(w.incidents()).toMatchObject([{ kind: 'service-replicas', flaps: 1, since: T0 }]);
  });

  it('one service, one incident: a pending "below desired" gives way to the crash loop it turns out to be; a posted one carries on in its thread', () => {
    const w = watcher(3);
    const { svc, tasks } = crashing(T0 + MIN);
    expect(kinds(w.pass({ nodes, services: [svc], tasks: [] }, 0).changes)).toEqual(['track service-replicas api']);
    const { changes } = w.pass({ nodes, services: [svc], tasks }, 1);
    expect(kinds(changes)).toEqual(['drop service-replicas api', 'open service-crash-loop api']);
    expect(w.incidents()).toMatchObject([{ kind: 'service-crash-loop', since: T0 }]);

    const v = watcher(0);
    const below = service('web', { replicas: 2, running: 1, desired: 2 });
    // below desired waits at least 30 s, even without a grace period: a crash loop shows first
    expect(kinds(v.pass({ nodes, services: [below], tasks: [] }, 0).changes)).toEqual(['track service-replicas web']);
    expect(kinds(v.pass({ nodes, services: [below], tasks: [] }, 1).changes)).toEqual(['open service-replicas web']);
    const looping = crashing(T0 + 2 * MIN);
    const again = { ...below, running: 0 };
    const loopTasks = looping.tasks.map((t) => ({ ...t, serviceId: below.id }));
    const next = v.pass({ nodes, services: [again], tasks: loopTasks }, 2).changes;
    expect(kinds(next)).toEqual(['follow-up service-replicas web']);
    expect(next[0]).toMatchObject({ what: 'detail', finding: { text: expect.stringMatching(/keep failing/) } });
    expect(v.incidents()).toHaveLength(1);
  });

  it('mutes match a service by its ID or its name', () => {
    const i = { kind: 'service-crash-loop' as const, subject: 'svcapi', name: 'api' };
    expect(mutedBy(i, [{ cluster: 'prod', target: 'api', serviceId: 'svcapi', until: T0 + MIN, by: 'U1', at: T0 }], T0)).toBeDefined();
    expect(mutedBy(i, [{ cluster: 'prod', target: 'api', until: T0 + MIN, by: 'U1', at: T0 }], T0)).toBeDefined();
    expect(mutedBy(i, [{ cluster: 'prod', target: 'web', serviceId: 'svcweb', until: T0 + MIN, by: 'U1', at: T0 }], T0)).toBeUndefined();
  });
});
