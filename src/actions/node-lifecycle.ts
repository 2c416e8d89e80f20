import { QuorumGuardError } from '../errors.js';
import { assessQuorum, evenManagersAdvice, explainQuorum, type QuorumAssessment } from '../domain/quorum.js';
import { reply, type Reply, type ReplyPart } from '../domain/reply.js';
import type { SwarmNode } from '../ports.js';
import { resolveNode } from './resolve-node.js';
import type { Action, ActionContext } from './types.js';

const isReachableManager = (n: SwarmNode) => n.role === 'manager' && n.manager?.reachability === 'reachable';

function arithmetic(before: QuorumAssessment, after: QuorumAssessment, label: string): ReplyPart[] {
  const parts: ReplyPart[] = [{ kind: 'fields', fields: [['Now', explainQuorum(before)], [label, explainQuorum(after)]] }];
  if (after.managers > 0 && after.managers % 2 === 0) {
    parts.push({
      kind: 'list',
      title: 'Warning',
      tone: 'warn',
      items: [evenManagersAdvice(after.managers)],
    });
  }
  return parts;
}

const alreadyDone = (title: string, text: string): Reply => reply(title, 'info', [{ kind: 'text', text: `${text} Nothing was changed.` }]);

async function claimed(ctx: ActionContext, what: string): Promise<Reply | undefined> {
  if (await ctx.swarm.claimOperation({ key: `node-${ctx.requestId}`, attempt: ctx.attempt, description: `${what} by ${ctx.user}` })) return undefined;
  return alreadyDone(`Request ${ctx.requestId} was already carried out`, 'This request was delivered twice; it was carried out once.');
}

/** promote / demote: manager-level, so they go through approval first. */
export const changeRole =
  (to: 'manager' | 'worker'): Action<{ node: string }> =>
  async (ctx, args) => {
    const nodes = await ctx.swarm.listNodes();
    const node = resolveNode(nodes, args.node);
    const verb = to === 'manager' ? 'promote' : 'demote';
    if (node.role === to) return alreadyDone(`${node.hostname} is already a ${to}`, `\`${node.hostname}\` is already a ${to}.`);

    const managers = nodes.filter((n) => n.role === 'manager');
    const reachable = managers.filter(isReachableManager).length;
    const before = assessQuorum(managers.length, reachable);
    const after =
      to === 'manager'
        ? assessQuorum(managers.length + 1, reachable + (node.state === 'ready' ? 1 : 0))
        : assessQuorum(managers.length - 1, reachable - (isReachableManager(node) ? 1 : 0));
    const parts = arithmetic(before, after, `After the ${verb}`);

    if (to === 'worker') {
      if (managers.length === 1) {
        throw new QuorumGuardError(`\`${node.hostname}\` is the last manager; demoting it would leave the swarm without managers. Promote another node first. Nothing was changed.`);
      }
      if (after.verdict === 'quorum lost') {
        const down = managers.filter((m) => !isReachableManager(m) && m.id !== node.id).map((m) => `\`${m.hostname}\``);
        throw new QuorumGuardError(
          `Demoting \`${node.hostname}\` would lose quorum: ${explainQuorum(after)}` +
            (down.length ? ` Unreachable now: ${down.join(', ')}.` : '') +
            ' Bring the unreachable managers back (or promote another node) first. Nothing was changed.',
        );
      }
    } else if (node.state !== 'ready') {
      throw new QuorumGuardError(`\`${node.hostname}\` is ${node.state}; a manager that can't be reached would only count against quorum. Nothing was changed.`);
    }

    const what = `${verb} \`${node.hostname}\` (${node.id.slice(0, 12)}) to ${to}`;
    if (ctx.dryRun)
      return reply(`Dry run: would ${verb} ${node.hostname}`, 'info', [
        { kind: 'text', text: `Would ${what}, once an approver other than you approves it. Nothing was changed.` },
        ...parts,
      ]);
    if (!ctx.approval) {
      return {
        ...reply(`Approval needed: ${verb} ${node.hostname} in ${ctx.cluster}`, 'info', [{ kind: 'text', text: `<@${ctx.user}> asks to ${what}.` }, ...parts]),
        approvalRequest: true,
      };
    }
    const repeat = await claimed(ctx, verb);
    if (repeat) return repeat;
    await ctx.swarm.updateNode(node.id, { role: to });
    return reply(`${node.hostname} is now a ${to}`, 'ok', [
      ...parts,
      { kind: 'context', text: `Requested by <@${ctx.user}>, approved by <@${ctx.approval.approver}>.` },
    ]);
  };

/** drain / activate: where tasks run. Raft membership is untouched by either. */
export const changeAvailability =
  (to: 'drain' | 'active'): Action<{ node: string }> =>
  async (ctx, args) => {
    const nodes = await ctx.swarm.listNodes();
    const node = resolveNode(nodes, args.node);
    const verb = to === 'drain' ? 'drain' : 'activate';
    const state = to === 'drain' ? 'drained' : 'active';
    if (node.availability === to) return alreadyDone(`${node.hostname} is already ${state}`, `\`${node.hostname}\` is already ${state}.`);

    const parts: ReplyPart[] = [];
    if (node.role === 'manager') {
      const managers = nodes.filter((n) => n.role === 'manager');
      const q = assessQuorum(managers.length, managers.filter(isReachableManager).length);
      parts.push({
        kind: 'text',
        text: `\`${node.hostname}\` is a manager: ${to === 'drain' ? 'draining' : 'activating'} it changes where tasks run, not Raft membership (a drained manager still votes). ${explainQuorum(q)}`,
      });
    }
    if (to === 'drain') {
      const activeLeft = nodes.filter((n) => n.id !== node.id && n.state === 'ready' && n.availability === 'active');
      if (!activeLeft.length) {
        throw new QuorumGuardError(
          `Draining \`${node.hostname}\` would leave no ready, active node to run services. Activate another node first (\`/swarm activate <node>\`). Nothing was changed.`,
        );
      }
      parts.push({ kind: 'context', text: `${activeLeft.length} other ready, active node${activeLeft.length === 1 ? '' : 's'} will take its tasks.` });
    }
    if (ctx.dryRun) return reply(`Dry run: would ${verb} ${node.hostname}`, 'info', [{ kind: 'text', text: `Would set \`${node.hostname}\` to availability ${to}. Nothing was changed.` }, ...parts]);
    const repeat = await claimed(ctx, verb);
    if (repeat) return repeat;
    await ctx.swarm.updateNode(node.id, { availability: to });
    return reply(`${node.hostname} is now ${to === 'drain' ? 'drained' : 'active'}`, 'ok', parts);
  };
