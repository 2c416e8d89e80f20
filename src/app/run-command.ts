import { ACTIONS } from '../actions/index.js';
import type { ChangeAction, ChangeContext, ReadAction, ReadContext } from '../actions/types.js';
import { parseCommand, type ParsedCommand } from '../commands/parse.js';
import { REGISTRY } from '../commands/registry.js';
import { authorize, resolveCluster, type Policy } from '../config/policy.js';
import type { VerifiedApproval } from '../domain/approval.js';
import { reply, type Reply } from '../domain/reply.js';
import { ConfigError, UserFacingError } from '../errors.js';
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
  handOff?: ChangeContext['handOff'];
  signer?: ChangeContext['signer'];
}

export interface CommandRequest {
  text: string;
  user: string;
  channel?: string | undefined;
  team?: string | undefined;
  requestId: string;
}

export type Outcome =
  /** `audit`: how a mutating command ended (read commands are not audited); an applied change whose answer is an error (a check that FAILED) failed */
  | { kind: 'answer'; reply: Reply; parsed: ParsedCommand; cluster: string; audit?: 'succeeded' | 'failed' | 'dry-run' | 'no-op' }
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
    ...(deps.unlockKeys.where ? { unlockKeyPlace: deps.unlockKeys.where(cluster) } : {}),
  };
  const readCtx: ReadContext = { ...base, swarm: swarm ? readOnly(swarm) : noSwarm };
  const action = ACTIONS[spec.name as keyof typeof ACTIONS];
  if (spec.kind === 'read') {
    const answer = await (action as ReadAction<unknown>).run(readCtx, parsed.args);
    return { kind: 'answer', reply: answer, parsed, cluster, ...(spec.audited ? { audit: 'succeeded' as const } : {}) };
  }

  const change = action as ChangeAction<unknown, unknown>;
  const plan = await change.plan(readCtx, parsed.args);
  if (plan.done) return { kind: 'answer', reply: plan.done, parsed, cluster, audit: 'no-op' };
  // the registry says which commands always need a second person; a plan may say so of one change more
  // and the cluster's `approve` list names the changes its team wants a second person for
  const needsApproval = spec.needsApproval || plan.needsApproval === true || approveList(policy, cluster).includes(spec.name);
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
  const changeCtx: ChangeContext = {
    ...base,
    swarm: swarm!,
    claims: deps.claims,
    unlockKeys: deps.unlockKeys,
    ...(approval ? { approval: { approver: approval.approver } } : {}),
    ...(deps.handOff ? { handOff: deps.handOff } : {}),
    ...(deps.signer ? { signer: deps.signer } : {}),
  };
  const answer = await change.apply(changeCtx, parsed.args, plan);
  // the answer's tone is its verdict, as for an approved change (decisions.ts)
  return { kind: 'answer', reply: answer, parsed, cluster, audit: answer.tone === 'error' ? 'failed' : 'succeeded' };
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
const BINDING_LABELS: Record<string, string> = { node: 'the node (its ID)', engineId: 'the daemon (its engine ID)', certificate: 'its TLS certificate', service: 'the service (its ID)', spec: "the service's spec" };

/** The cluster's `approve` list; a name that is no changing command is the operator's mistake, said plainly. */
export function approveList(policy: Policy, cluster: string): string[] {
  const names = policy.clusters[cluster]?.approve ?? [];
  const wrong = names.filter((n) => !REGISTRY.get(n)?.mutating);
  if (wrong.length) {
    throw new ConfigError(`The policy's clusters.${cluster}.approve names ${wrong.map((w) => `"${w}"`).join(', ')}, which ${wrong.length === 1 ? 'is' : 'are'} not a changing command. Name commands such as "service update" or "stack rollback".`);
  }
  return names;
}

/** Titles are plain text: drop the inline-code marks a summary carries. */
const plainText = (s: string) => s.replace(/`/g, '');

/** What offline commands get instead of a swarm: using it is a bug, said loudly. */
const noSwarm = new Proxy({} as Swarm, {
  get: (_, prop) => {
    if (prop === 'then') return undefined;
    throw new Error(`an offline command used the swarm (${String(prop)})`);
  },
});
