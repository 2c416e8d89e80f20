/** What the worker is given and how Lambda invokes it: the types worker.ts, worker-kit.ts and decisions.ts share. */
import type { IncidentStore, JobLedger, RolloutStore } from '../ports.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';

export interface WorkerDeps extends SwarmJobDeps {
  /** the Slack signing secret: jobs and approval buttons are signed with keys derived from it */
  signingSecret: () => Promise<string>;
  /** a job delivered twice acts, and is audited, once */
  ledger: JobLedger;
  /** the watch's incidents and mutes, for `/swarm watch` */
  incidents?: IncidentStore;
  /** rollouts handed to the watch when the worker stops following them */
  rollouts?: RolloutStore;
  /** Roll back buttons are signed as the watch's alert buttons are, with a key from the bot token */
  botToken?: () => Promise<string>;
}

/** The Lambda invocation: how long it may still run (absent: no limit), and its context for the ledger. */
export interface Invocation {
  remainingMs?: () => number;
  lambdaContext?: unknown;
}

export type Worker = (payload: unknown, invocation?: Invocation) => Promise<void>;
