/**
 * What the watch finds wrong with services, from one `GET /services?status=true`
 * and one `GET /tasks`: a rollout Docker halted, a crash loop, tasks no node
 * can take, replicas below desired. One finding per service, the most
 * specific cause (a crash loop is also below desired: it is said as a crash
 * loop, its replicas in the body). Pure, like detect.ts.
 */
import type { IncidentKind, SwarmNode, SwarmService, SwarmTask, WatchIncident } from '../ports.js';
import { code } from '../render/escape.js';
import { assessRollout } from '../shared/rollout.js';
import { replicasText, serviceHealth, shortImage, taskProblem } from '../shared/service-health.js';

/** a service's finding (detect.ts's `Finding`, which takes it as it is) */
export interface ServiceFinding extends Pick<WatchIncident, 'kind' | 'subject' | 'name' | 'detail'> {
  text: string;
  /** the service has a previous spec: its alert offers Roll back */
  rollback?: boolean;
}

/** the service incidents, the most specific first: a service gets the first that applies */
export const SERVICE_KINDS = ['service-rollout', 'service-crash-loop', 'service-unschedulable', 'service-replicas'] as const satisfies readonly IncidentKind[];
export const isServiceKind = (k: IncidentKind): boolean => (SERVICE_KINDS as readonly IncidentKind[]).includes(k);

/** a crash loop is over once the service runs as desired and no task failed for this long */
export const CRASH_QUIET_MS = 60_000;
/** how many failing tasks a message names */
const SHOWN_TASKS = 5;

/** the overlay check's short-lived probe services: the bot's own, never an incident nor a change */
export const isProbeService = (s: Pick<SwarmService, 'name'>) => s.name.startsWith('swarm-ops-probe-');

const NO_NODE = /no suitable node/i;

/** Docker rolled back on its own (its failure action), not because someone asked */
export const dockerRolledBack = (s: SwarmService) => Boolean(s.update?.state.startsWith('rollback') && !/manually requested/i.test(s.update.message));

export function serviceFindings(services: SwarmService[], tasks: SwarmTask[], nodes: SwarmNode[], now: number): ServiceFinding[] {
  const hosts = new Map(nodes.map((n) => [n.id, n.hostname]));
  const byService = new Map<string, SwarmTask[]>();
  for (const t of tasks) byService.set(t.serviceId, [...(byService.get(t.serviceId) ?? []), t]);
  const out: ServiceFinding[] = [];
  for (const svc of services) {
    if (isProbeService(svc) || svc.mode === 'job') continue;
    const f = serviceFinding(svc, byService.get(svc.id) ?? [], hosts, now);
    if (f) out.push(f);
  }
  return out;
}

function taskLine(svc: SwarmService, t: SwarmTask, hosts: ReadonlyMap<string, string>): string {
  const where = t.nodeId ? ` on ${code(hosts.get(t.nodeId) ?? t.nodeId.slice(0, 12))}` : '';
  return `${code(t.slot !== undefined ? `${svc.name}.${t.slot}` : svc.name)}${where}: ${t.state}: ${code(taskProblem(t) ?? t.error ?? t.message)}`;
}

function serviceFinding(svc: SwarmService, tasks: SwarmTask[], hosts: ReadonlyMap<string, string>, now: number): ServiceFinding | undefined {
  const about = (kind: IncidentKind, detail: string, text: string, more: Partial<ServiceFinding> = {}): ServiceFinding => ({ kind, subject: svc.id, name: svc.name, detail, text, ...more });
  const rollback = svc.previous !== undefined;
  const health = serviceHealth(svc, tasks, now);
  const state = svc.update?.state;
  const said = svc.update?.message ? ` Docker says: ${code(svc.update.message)}.` : '';

  // 1. a rollout Docker halted: paused, or rolling back on its own. Once a rollback completed, Docker's
  // words ("rollback completed") no longer tell its own from one asked for: the service is whole, resolved.
  if (state === 'paused' || state === 'rollback_paused' || (state === 'rollback_started' && dockerRolledBack(svc))) {
    const view = assessRollout(svc, tasks, 'image');
    const failing = view.failing ? `\nFailing: ${taskLine(svc, view.failing, hosts)}` : '';
    const what =
      state === 'paused'
        ? `Docker paused the rollout of ${code(svc.name)} to ${code(shortImage(svc.image))}: it runs ${replicasText(svc)}.`
        : state === 'rollback_paused'
          ? `Docker paused the rollback of ${code(svc.name)}: it runs ${replicasText(svc)}.`
          : state === 'rollback_started'
            ? `Docker is rolling ${code(svc.name)} back to ${code(shortImage(svc.image))}: the rollout failed.`
            : `Docker rolled ${code(svc.name)} back: the rollout failed. It runs ${replicasText(svc)}.`;
    return about('service-rollout', state!, `${what}${said}${failing}`, { rollback: rollback && state === 'paused' });
  }

  // 2. a crash loop: 3 failures within 10 minutes, and not whole again yet
  const failures = tasks.filter((t) => (t.state === 'failed' || t.state === 'rejected') && now - t.at.getTime() <= CRASH_QUIET_MS);
  if (health.crashLoop && (svc.running < svc.desired || failures.length > 0)) {
    const c = health.crashLoop;
    const where = c.nodeId ? ` on ${code(hosts.get(c.nodeId) ?? c.nodeId.slice(0, 12))}` : '';
    const exit = c.exitCode !== undefined && !c.lastProblem.includes(`(${c.exitCode})`) && !c.lastProblem.includes(`exit code ${c.exitCode}`) ? ` (exit code ${c.exitCode})` : '';
    return about(
      'service-crash-loop',
      c.exitCode !== undefined ? `exit ${c.exitCode}` : c.lastProblem,
      `${code(svc.name)}'s tasks keep failing: ${c.failures} failures in the last 10 minutes, the last${where}: ${code(c.lastProblem)}${exit}. It runs ${replicasText(svc)}.`,
      { rollback },
    );
  }

  // 3. tasks no node can take
  const unplaced = tasks.filter((t) => t.desiredState === 'running' && t.state === 'pending' && NO_NODE.test(`${t.error ?? ''} ${t.message}`));
  if (unplaced.length) {
    const why = [...new Set(unplaced.map((t) => (NO_NODE.test(t.error ?? '') ? t.error! : t.message)))];
    const constraints = svc.constraints.length ? ` Its constraints: ${svc.constraints.map(code).join(', ')}.` : '';
    return about(
      'service-unschedulable',
      why.join('; '),
      `${unplaced.length} task${unplaced.length === 1 ? '' : 's'} of ${code(svc.name)} can't be scheduled: ${why.map(code).join('; ')}. It runs ${replicasText(svc)}.${constraints}`,
      { rollback },
    );
  }

  // 4. replicas below desired (a rollout under way is followed by its own message)
  if (svc.desired > 0 && svc.running < svc.desired && state !== 'updating' && state !== 'rollback_started') {
    const failing = health.failing.slice(0, SHOWN_TASKS).map((t) => taskLine(svc, t, hosts));
    return about(
      'service-replicas',
      `of ${svc.desired}`,
      `${code(svc.name)} runs ${svc.running} of ${svc.desired} ${svc.mode === 'global' ? 'tasks (one per eligible node)' : 'replicas'}.${failing.length ? `\nFailing: ${failing.join('\n')}` : ''}`,
      { rollback },
    );
  }
  return undefined;
}
