/**
 * Following a rollout to its verdict, as docker/cli's progress display does
 * (poll the service and its up-to-date tasks), plus what it leaves out: a
 * verdict when Docker pauses or rolls back, with the task that failed.
 */
import type { ServiceChange, ServicesRead, SwarmService, SwarmTask } from '../ports.js';
import { shortImage, taskProblem } from './service-health.js';

export type Verdict = 'converged' | 'paused' | 'rolled back';

export interface RolloutView {
  service: SwarmService;
  /** tasks on the current spec that are running as desired */
  done: number;
  total: number;
  /** Docker is rolling back (its failure action, or ours) */
  rollingBack: boolean;
  verdict?: Verdict;
  /** the task that failed or can't start, as Docker says */
  failing?: SwarmTask;
  /** Docker's own words on the update */
  dockerMessage?: string;
}

/** Where a rollout stands, from one look at the service and its up-to-date tasks. */
export function assessRollout(svc: SwarmService, upToDate: SwarmTask[], op: ServiceChange['kind']): RolloutView {
  const current = upToDate.filter((t) => t.serviceId === svc.id && t.desiredState === 'running');
  const done = current.filter((t) => t.state === 'running').length;
  const total = svc.mode === 'global' ? Math.max(svc.desired, current.length) : (svc.replicas ?? svc.desired);
  const state = svc.update?.state;
  const named = /task (\w+)$/.exec(svc.update?.message ?? '')?.[1];
  const failing =
    upToDate.find((t) => named && t.id.startsWith(named)) ??
    [...upToDate].filter((t) => t.serviceId === svc.id && taskProblem(t) && t.state !== 'running').sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  const view: RolloutView = {
    service: svc,
    done,
    total,
    rollingBack: state === 'rollback_started' || state === 'rollback_paused',
    ...(failing ? { failing } : {}),
    ...(svc.update?.message ? { dockerMessage: svc.update.message } : {}),
  };
  if (state === 'paused' || state === 'rollback_paused') return { ...view, verdict: 'paused' };
  if (state === 'rollback_completed') return { ...view, verdict: op === 'rollback' ? 'converged' : 'rolled back' };
  if (state === 'updating' || state === 'rollback_started') return view;
  // completed, or no update status at all (a scale, or the moment after an update before Docker starts it):
  // converged once every task of the spec runs, the ones a scale-down removes have stopped, and none is missing
  const stopping = upToDate.filter((t) => t.serviceId === svc.id && t.desiredState !== 'running' && t.state === 'running').length;
  const extra = svc.mode === 'replicated' && current.length > total;
  const nothingYet = !state && current.length === 0 && svc.desired > 0;
  return done >= total && !stopping && !extra && !nothingYet ? { ...view, verdict: 'converged' } : view;
}

/** "web: 3 of 6 tasks on registry/app:1.4.2" */
export function progressText(v: RolloutView): string {
  return `${v.service.name}: ${v.rollingBack ? 'rolling back, ' : ''}${v.done} of ${v.total} tasks on ${shortImage(v.service.image)}`;
}

export interface FollowOptions {
  services: Pick<ServicesRead, 'inspect' | 'tasks'>;
  serviceId: string;
  op: ServiceChange['kind'];
  /** give up waiting after this long (the rollout goes on in Docker) */
  followMs: number;
  pollMs: number;
  progress: (text: string) => void;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls until a verdict or `followMs`; the last view, without a verdict when time ran out. */
export async function followRollout(o: FollowOptions): Promise<RolloutView & { gone?: boolean }> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const until = o.now() + o.followMs;
  let last: RolloutView | undefined;
  let failure: unknown;
  for (;;) {
    // a look that fails (a leader election, a slow manager) is tried again at the next poll: the change is made
    try {
      const svc = await o.services.inspect(o.serviceId);
      if (!svc) return { ...(last ?? ({ done: 0, total: 0, rollingBack: false } as unknown as RolloutView)), gone: true };
      last = assessRollout(svc, await o.services.tasks({ serviceIds: [svc.id], upToDate: true }), o.op);
      failure = undefined;
      if (last.verdict) return last;
      o.progress(progressText(last));
    } catch (err) {
      failure = err;
    }
    if (o.now() + o.pollMs > until) {
      if (last) return last;
      throw failure;
    }
    await sleep(o.pollMs);
  }
}
