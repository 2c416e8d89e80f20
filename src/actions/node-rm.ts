import type { ArgsFor } from '../commands/registry.js';
import { QuorumGuardError } from '../errors.js';
import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { SwarmNode } from '../ports.js';
import { arithmetic, asDone, isReachableManager } from './node-lifecycle.js';
import { resolveNode } from './resolve-node.js';
import type { ChangeAction } from './types.js';

interface RmPlan {
  node: SwarmNode;
  /** a manager is demoted first: a dead manager still counts in N until then */
  demote: boolean;
  force: boolean;
}

/**
 * `/swarm node rm <node> [--force]`: a down worker goes at once; a manager is
 * demoted and removed in one approved request; a node that is not down needs
 * --force and an approval.
 */
export const nodeRm: ChangeAction<ArgsFor<'node rm'>, RmPlan> = {
  async plan(ctx, args) {
    const nodes = await ctx.swarm.nodes.list();
    const node = resolveNode(nodes, args.node);
    // a stopped manager may still say "ready" for a while; that Raft can't reach it says more
    const down = node.state !== 'ready' || (node.role === 'manager' && node.manager?.reachability === 'unreachable');
    if (!down && !args.force) {
      throw new QuorumGuardError(
        `${code(node.hostname)} is ${node.state}, not down: removing a live node cuts it off with its tasks. ` +
          `Drain it first (\`/swarm drain ${node.hostname}\`), then type \`/swarm node rm ${node.hostname} --force\` (needs approval). Nothing was changed.`,
      );
    }
    const demote = node.role === 'manager';
    const details: ReplyPart[] = [];
    if (demote) {
      const managers = nodes.filter((n) => n.role === 'manager');
      if (managers.length === 1) throw new QuorumGuardError(`${code(node.hostname)} is the last manager; removing it would leave no swarm to manage. Nothing was changed.`);
      const reachable = managers.filter(isReachableManager).length;
      const before = assessQuorum(managers.length, reachable);
      const after = assessQuorum(managers.length - 1, reachable - (isReachableManager(node) ? 1 : 0));
      if (after.verdict === 'quorum lost') {
        throw new QuorumGuardError(`Removing ${code(node.hostname)} would lose quorum: ${explainQuorum(after)} Bring the unreachable managers back first. Nothing was changed.`);
      }
      details.push({ kind: 'text', text: `${code(node.hostname)} is a manager: it is demoted first, then removed. ${down ? 'A dead manager still counts in N until it is removed: this restores the arithmetic.' : ''}`.trim() });
      details.push(...arithmetic(before, after, 'After the removal'));
    } else {
      details.push({ kind: 'text', text: `${code(node.hostname)} is a ${node.state} worker; its tasks ${down ? 'were already rescheduled elsewhere' : 'are stopped and rescheduled elsewhere'}.` });
    }
    return {
      summary: `${demote ? 'demote and ' : ''}remove ${code(node.hostname)} (${node.id.slice(0, 12)})${args.force ? ' with --force' : ''}`,
      details,
      data: { node, demote, force: Boolean(args.force) },
      binding: { node: node.id },
      // a manager, or a node that is still up, is not removed on one person's word
      needsApproval: demote || !down,
    };
  },
  async apply(ctx, _args, plan) {
    const { node, demote, force } = plan.data;
    if (demote) {
      await ctx.swarm.nodes.update(node.id, { role: 'worker' });
      // Docker answers before the demotion has settled; removing a node still listed as a manager is refused
      for (let i = 0; i < 40; i++) {
        const now = (await ctx.swarm.nodes.list()).find((n) => n.id === node.id);
        if (!now || now.role === 'worker') break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await ctx.swarm.nodes.remove(node.id, { force: force || demote });
    return reply(`${node.hostname} removed from ${ctx.cluster}`, 'ok', [
      ...asDone(plan.details),
      { kind: 'context', text: `To bring the machine back, \`docker swarm leave --force\` on it, then \`/swarm join worker <url>\`.` },
    ]);
  },
};
