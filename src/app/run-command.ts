import { ACTIONS } from '../actions/index.js';
import type { ChangeAction, ChangeContext, ReadAction, ReadContext } from '../actions/types.js';
import { parseCommand, type ParsedCommand } from '../commands/parse.js';
import { authorize, resolveCluster, type Policy } from '../config/policy.js';
import type { VerifiedApproval } from '../domain/approval.js';
import { reply, type Reply } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { readOnly, type AuditHistory, type Claims, type Clock, type IncidentStore, type Swarm, type UnlockKeyStore } from '../ports.js';

export interface RunDeps {
  swarmFor: (cluster: string) => Promise<Swarm>;
  history: AuditHistory;
  claims: Claims;
  unlockKeys: UnlockKeyStore;
  clock: Clock;
  progress?: (text: string) => void;
  /** the watch's incidents and mutes, for `/swarm watch` */
  incidents?: IncidentStore;
}

export interface CommandRequest {
  text: string;
  user: string;
  channel?: string | undefined;
  team?: string | undefined;
  requestId: string;
}

export type Outcome =
  /** `audit`: how a mutating command ended (read commands are not audited) */
  | { kind: 'answer'; reply: Reply; parsed: ParsedCommand; cluster: string; audit?: 'succeeded' | 'dry-run' | 'no-op' }
  /** a manager-level change that waits for a second person: nothing was applied */
  | { kind: 'approval-needed'; request: Reply; summary: string; binding?: Record<string, string>; parsed: ParsedCommand; cluster: string };

/**
 * The one path of every command, for the worker and the local runner alike:
 * parse → resolve the cluster → authorize → act → reply.
 *
 * The two-person rule lives here and nowhere else: an `approval` command is
 * planned with a read-only swarm and is applied only when a verified approval
 * (signed by us, decided by someone else) comes with it, and only if what the
 * approver saw still holds.
 */
export async function runCommand(deps: RunDeps, policy: Policy, req: CommandRequest, approval?: { request: VerifiedApproval; approver: string }): Promise<Outcome> {
  const parsed = parseCommand(req.text);
  const spec = parsed.spec;
  // an approved request runs on the cluster it was approved for, never on whatever the channel maps to now
  const cluster = approval ? approvedCluster(policy, parsed, approval.request) : resolveCluster(policy, req.channel, parsed.args.cluster);
  authorize(policy, req, cluster, spec.role, `run \`/swarm ${spec.name}\``);

  // offline commands (help) load no credentials and get no swarm
  const swarm = spec.offline ? undefined : await deps.swarmFor(cluster);
  const base: Omit<ReadContext, 'swarm'> = {
    policy,
    cluster,
    user: req.user,
    requestId: req.requestId,
    clock: deps.clock,
    history: deps.history,
    progress: deps.progress ?? (() => undefined),
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
  };
  const readCtx: ReadContext = { ...base, swarm: swarm ? readOnly(swarm) : noSwarm };
  const action = ACTIONS[spec.name as keyof typeof ACTIONS];
  if (spec.kind === 'read') {
    return { kind: 'answer', reply: await (action as ReadAction<unknown>).run(readCtx, parsed.args), parsed, cluster };
  }

  const change = action as ChangeAction<unknown, unknown>;
  const plan = await change.plan(readCtx, parsed.args);
  if (plan.done) return { kind: 'answer', reply: plan.done, parsed, cluster, audit: 'no-op' };
  // the registry says which commands always need a second person; a plan may say so of one change more
  const needsApproval = spec.needsApproval || plan.needsApproval === true;
  if (parsed.args['dry-run']) {
    const needs = needsApproval ? ', once an approver other than you approves it' : '';
    return {
      kind: 'answer',
      reply: reply(`Dry run: would ${plainText(plan.summary)}`, 'info', [
        { kind: 'text', text: `Would ${plan.summary}${needs}. Nothing was changed.` },
        ...plan.details,
      ]),
      parsed,
      cluster,
      audit: 'dry-run',
    };
  }
  if (needsApproval) {
    if (!approval) {
      return {
        kind: 'approval-needed',
        summary: plan.summary,
        ...(plan.binding ? { binding: plan.binding } : {}),
        request: reply(`Approval needed: ${plainText(plan.summary)}`, 'info', [{ kind: 'text', text: `<@${req.user}> asks to ${plan.summary}.` }, ...plan.details]),
        parsed,
        cluster,
      };
    }
    if (approval.approver === req.user || approval.request.requester !== req.user || approval.request.id !== req.requestId || approval.request.cluster !== cluster) {
      throw new UserFacingError('APPROVAL', 'This approval does not belong to this request; nothing was changed.');
    }
    const changed = Object.entries(approval.request.binding ?? {}).filter(([k, v]) => plan.binding?.[k] !== v);
    if (changed.length) {
      throw new UserFacingError(
        'APPROVAL',
        `What was approved is no longer what is there: ${changed.map(([k]) => BINDING_LABELS[k] ?? k).join(' and ')} changed since the request. Nothing was changed; run the command again to ask anew.`,
      );
    }
  }
  const changeCtx: ChangeContext = { ...base, swarm: swarm!, claims: deps.claims, unlockKeys: deps.unlockKeys, ...(approval ? { approval: { approver: approval.approver } } : {}) };
  return { kind: 'answer', reply: await change.apply(changeCtx, parsed.args, plan), parsed, cluster, audit: 'succeeded' };
}

/**
 * The cluster an approval is for: the one in the signed request, still known
 * to the policy, and the one the text names if it names one (they were the
 * same when it was signed; a mismatch is refused).
 */
function approvedCluster(policy: Policy, parsed: ParsedCommand, request: VerifiedApproval): string {
  const cluster = resolveCluster(policy, undefined, request.cluster);
  if (parsed.args.cluster !== undefined && parsed.args.cluster !== cluster) {
    throw new UserFacingError('APPROVAL', `This request was approved for \`${cluster}\`, not for the cluster its text names; nothing was changed.`);
  }
  return cluster;
}

/** How a binding reads in a refusal. */
const BINDING_LABELS: Record<string, string> = { node: 'the node (its ID)', engineId: 'the daemon (its engine ID)', certificate: 'its TLS certificate' };

/** Titles are plain text: drop the inline-code marks a summary carries. */
const plainText = (s: string) => s.replace(/`/g, '');

/** What offline commands get instead of a swarm: using it is a bug, said loudly. */
const noSwarm = new Proxy({} as Swarm, {
  get: (_, prop) => {
    if (prop === 'then') return undefined;
    throw new Error(`an offline command used the swarm (${String(prop)})`);
  },
});
