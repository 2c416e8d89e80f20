import type { Policy } from '../config/policy.js';
import type { Reply } from '../domain/reply.js';
import type { Clock, SwarmPort } from '../ports.js';

/** What every action gets: the swarm it acts on and who asked, nothing else. */
export interface ActionContext {
  swarm: SwarmPort;
  policy: Policy;
  cluster: string;
  user: string;
  requestId: string;
  /** this delivery of the job (fresh per worker invocation): tells a repeated delivery from our own retried write */
  attempt: string;
  dryRun: boolean;
  clock: Clock;
  /** set when a second person approved this (manager-level) change */
  approval?: { approver: string };
}

export type Action<A = Record<string, unknown>> = (ctx: ActionContext, args: A) => Promise<Reply>;
