/** Runs commands the way the worker does (parse → authorize → plan/apply), against fakes of our ports. */
import type { ChangeAction, ChangeContext, ReadContext } from '../../src/actions/types.js';
import { runCommand, type Outcome } from '../../src/app/run-command.js';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import type { VerifiedApproval } from '../../src/domain/approval.js';
import type { Reply } from '../../src/domain/reply.js';
import { readOnly } from '../../src/ports.js';
import type { FakeSwarm } from './fixtures.js';
import { MemoryState, MemoryUnlockKeys } from './fakes.js';

export const openPolicy = (): Policy =>
  parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] }, probeImage: 'probe:1' }));

export interface RunOptions {
  user?: string;
  policy?: Policy;
  now?: Date;
  /** pretend a second person approved: only tests may mint one without a signature */
  approvedBy?: string;
  binding?: Record<string, string>;
  claims?: MemoryState;
  unlockKeys?: MemoryUnlockKeys;
}

export async function run(swarm: FakeSwarm, text: string, o: RunOptions = {}): Promise<Outcome> {
  const user = o.user ?? 'U1';
  const approval = o.approvedBy
    ? {
        approver: o.approvedBy,
        request: { v: 1, id: 'req1', text, cluster: 'prod', requester: user, channel: 'C1', exp: 0, ...(o.binding ? { binding: o.binding } : {}) } as unknown as VerifiedApproval,
      }
    : undefined;
  return runCommand(
    { swarmFor: async () => swarm, history: new MemoryState(), claims: o.claims ?? new MemoryState(), unlockKeys: o.unlockKeys ?? new MemoryUnlockKeys(), clock: { now: () => o.now ?? new Date() } },
    o.policy ?? openPolicy(),
    { text, user, channel: 'C1', requestId: 'req1' },
    approval,
  );
}

/** The reply a person would see: the answer, or the approval request. */
export async function answer(swarm: FakeSwarm, text: string, o: RunOptions = {}): Promise<Reply> {
  const out = await run(swarm, text, o);
  return out.kind === 'answer' ? out.reply : out.request;
}

/** Plans and applies one change directly (for actions built with test timings). */
export async function planAndApply<A, D>(action: ChangeAction<A, D>, swarm: FakeSwarm, args: A, o: { policy?: Policy; dryRun?: boolean; claims?: MemoryState; user?: string; requestId?: string; progress?: (t: string) => void; hooks?: Pick<ChangeContext, 'handOff' | 'signer'> } = {}): Promise<Reply> {
  const base = { policy: o.policy ?? openPolicy(), cluster: 'prod', user: o.user ?? 'U1', requestId: o.requestId ?? 'req1', clock: { now: () => new Date() }, history: new MemoryState(), progress: o.progress ?? (() => undefined) };
  const readCtx: ReadContext = { ...base, swarm: readOnly(swarm) };
  const plan = await action.plan(readCtx, args);
  if (o.dryRun) return { visibility: 'in_channel', tone: 'info', title: `Dry run: would ${plan.summary}`, parts: plan.details };
  const ctx: ChangeContext = { ...base, swarm, claims: o.claims ?? new MemoryState(), unlockKeys: new MemoryUnlockKeys(), ...o.hooks };
  return action.apply(ctx, args, plan);
}
