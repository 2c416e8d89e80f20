/**
 * How a service is doing, read for a person: its tasks' errors in words, a
 * crash loop named, the image shortened. The service commands answer with it
 * and the watch reads the same to open its service incidents.
 */
import { didYouMean } from '../commands/suggest.js';
import { UserFacingError } from '../errors.js';
import type { ServicesRead, SwarmService, SwarmTask } from '../ports.js';
import { code } from '../render/escape.js';

/** A crash loop: this many task failures of one service within the window. */
export const CRASH_LOOP_FAILURES = 3;
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;

const FAILED = new Set(['failed', 'rejected']);

/** `registry/app:1.4@sha256:0123456789ab…` → `registry/app:1.4 (sha256:0123456789ab)` */
export function shortImage(image: string): string {
  const [name, digest] = image.split('@');
  return digest ? `${name} (${digest.slice(0, 19)})` : name!;
}

/** What went wrong with a task, as Docker says it: its error, or the exit code of its container. */
export function taskProblem(t: SwarmTask): string | undefined {
  if (t.error) return t.exitCode !== undefined && !t.error.includes(`(${t.exitCode})`) ? `${t.error} (exit ${t.exitCode})` : t.error;
  if (FAILED.has(t.state)) return t.exitCode !== undefined ? `exit code ${t.exitCode}` : t.message || t.state;
  return undefined;
}

export interface ServiceHealth {
  /** running as desired and nothing failing now */
  healthy: boolean;
  /** a task that will not stay up: failures in the window, the newest one's words */
  crashLoop?: { failures: number; lastProblem: string; exitCode?: number; nodeId?: string };
  /** tasks meant to run that don't: pending with a reason, rejected, failing */
  failing: SwarmTask[];
  /** a rollout under way or stopped */
  updating: boolean;
}

export function serviceHealth(svc: SwarmService, tasks: SwarmTask[], now: number): ServiceHealth {
  const own = tasks.filter((t) => t.serviceId === svc.id);
  const recentFailures = own.filter((t) => FAILED.has(t.state) && now - t.at.getTime() <= CRASH_LOOP_WINDOW_MS).sort((a, b) => b.at.getTime() - a.at.getTime());
  const newest = recentFailures[0];
  const crashLoop =
    recentFailures.length >= CRASH_LOOP_FAILURES && newest
      ? { failures: recentFailures.length, lastProblem: taskProblem(newest) ?? newest.state, ...(newest.exitCode !== undefined ? { exitCode: newest.exitCode } : {}), ...(newest.nodeId ? { nodeId: newest.nodeId } : {}) }
      : undefined;
  const failing = own.filter((t) => t.desiredState === 'running' && t.state !== 'running' && Boolean(taskProblem(t) || (t.state === 'pending' && t.error)));
  const updating = Boolean(svc.update && !['completed', 'rollback_completed'].includes(svc.update.state));
  const stalled = Boolean(svc.update && ['paused', 'rollback_paused'].includes(svc.update.state));
  const healthy = svc.running >= svc.desired && !crashLoop && !stalled;
  return { healthy, failing, updating, ...(crashLoop ? { crashLoop } : {}) };
}

/** One service by name, ID or unique ID prefix; otherwise a plain error with the closest names. */
export async function resolveService(services: Pick<ServicesRead, 'list'>, ref: string, cluster: string): Promise<SwarmService> {
  const all = await services.list();
  const byName = all.find((s) => s.name === ref) ?? all.find((s) => s.id === ref);
  if (byName) return byName;
  const byPrefix = ref.length >= 4 ? all.filter((s) => s.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw new UserFacingError('NOT_FOUND', `${code(ref)} is the start of ${byPrefix.length} service IDs; type more of it, or the name.`);
  const near = didYouMean(ref, all.map((s) => s.name));
  throw new UserFacingError('NOT_FOUND', `No service ${code(ref)} on ${code(cluster)}.${near ? ` Did you mean ${code(near)}?` : ''} Type \`/swarm services\` to list them.`);
}

/** "3/3", "global 4/5" */
export const replicasText = (s: SwarmService) => (s.mode === 'global' ? `global ${s.running}/${s.desired}` : `${s.running}/${s.replicas ?? s.desired}`);
