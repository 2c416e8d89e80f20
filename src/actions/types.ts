import type { Policy } from '../config/policy.js';
import type { Reply, ReplyPart } from '../domain/reply.js';
import type { AuditHistory, Claims, Clock, IncidentStore, OpenRollout, Swarm, SwarmReader, UnlockKeyStore } from '../ports.js';

/** What every action gets: the swarm it looks at and who asked, nothing else. */
export interface ReadContext {
  /** read-only, at compile time and at run time */
  swarm: SwarmReader;
  policy: Policy;
  cluster: string;
  user: string;
  requestId: string;
  clock: Clock;
  history: AuditHistory;
  /** a phase worth showing while a long action runs ("probe running on 7 of 12 nodes") */
  progress: (text: string) => void;
  /** the watch's incidents and mutes (the bot's table); absent where no table is kept */
  incidents?: IncidentStore;
  /** where this cluster's unlock key is kept, as the store says it ("in the file …"); absent: SSM */
  unlockKeyPlace?: string;
}

/** What `apply` gets: the swarm with its write methods, and who approved, when a second person did. */
export interface ChangeContext extends Omit<ReadContext, 'swarm'> {
  swarm: Swarm;
  /** first-writer-wins keys in the bot's table, e.g. one probe per cluster at a time */
  claims: Claims;
  /** where autolock's unlock key is kept (SSM), never shown */
  unlockKeys: UnlockKeyStore;
  approval?: { approver: string };
  /**
   * Hands a rollout the worker stops following to the watch, which edits the
   * message this request is answered in until the verdict; false where no
   * message or no table is at hand (then the answer says how to look).
   */
  handOff?: (r: Pick<OpenRollout, 'cluster' | 'serviceId' | 'serviceName' | 'op' | 'what'>) => Promise<boolean>;
  /** signs a button's command for this request's channel (a Roll back button): the click is the clicker's own command */
  signer?: () => Promise<(command: string) => string>;
}

/**
 * What a change would do, worked out from reads only. The worker shows it
 * for --dry-run and in an approval request, and hands `data` to `apply`.
 */
export interface Plan<D = unknown> {
  /** "join lab-n4 to lab as a manager": follows "would" and "asks to" */
  summary: string;
  /** the arithmetic, warnings, what exactly is sent */
  details: ReplyPart[];
  data: D;
  /** nothing to do (already as asked): this is the answer; no approval is asked, nothing applied */
  done?: Reply;
  /**
   * What the approver saw and the change is bound to (a node ID, an engine ID,
   * a certificate fingerprint). Checked again by re-planning just before apply.
   */
  binding?: Record<string, string>;
  /**
   * This change needs a second person although its command alone would not
   * (e.g. `node rm` of a manager). A plan can only add the requirement.
   */
  needsApproval?: boolean;
}

export interface ReadAction<A> {
  run(ctx: ReadContext, args: A): Promise<Reply>;
}

export interface ChangeAction<A, D = unknown> {
  plan(ctx: ReadContext, args: A): Promise<Plan<D>>;
  apply(ctx: ChangeContext, args: A, plan: Plan<D>): Promise<Reply>;
}
