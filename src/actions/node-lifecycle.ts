import { QuorumGuardError } from '../errors.js';
import { assessQuorum, evenManagersAdvice, explainQuorum, type QuorumAssessment } from '../domain/quorum.js';
import { reply, type Reply, type ReplyPart } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { SwarmNode } from '../ports.js';
import type { ArgsFor } from '../commands/registry.js';
import { readConstraints, schedulable } from '../shared/placement.js';
import { resolveNode } from './resolve-node.js';
import type { ChangeAction, ReadContext } from './types.js';

type NodeArgs = ArgsFor<'promote'>;
interface NodePlan {
  node: SwarmNode;
}

export const isReachableManager = (n: SwarmNode) => n.role === 'manager' && n.manager?.reachability === 'reachable';

export function arithmetic(before: QuorumAssessment, after: QuorumAssessment, label: string): ReplyPart[] {
  const parts: ReplyPart[] = [{ kind: 'fields', fields: [['Now', explainQuorum(before)], [label, explainQuorum(after)]] }];
  if (after.managers > 0 && after.managers % 2 === 0) {
    parts.push({ kind: 'list', title: 'Warning', tone: 'warn', items: [evenManagersAdvice(after.managers)] });
  }
  return parts;
}

/** A plan's arithmetic, told after the change: "Now" has become "Before". */
export const asDone = (parts: ReplyPart[]): ReplyPart[] =>
  parts.map((p) => (p.kind === 'fields' ? { ...p, fields: p.fields.map(([l, v]): [string, string] => [l === 'Now' ? 'Before' : l, v]) } : p));

const alreadyDone = (title: string, text: string): Reply => reply(title, 'info', [{ kind: 'text', text: `${text} Nothing was changed.` }]);

/** How long promote/demote wait for Raft to take the node in (reachable) or let it go, before saying it is still settling. */
export const ROLE_SETTLE_MS = 30_000;

/** Whether Raft agrees with the new role: a promoted node reachable in it, a demoted one out of it. */
const settledAs = (n: SwarmNode | undefined, to: 'manager' | 'worker') => (to === 'manager' ? n?.manager?.reachability === 'reachable' : n !== undefined && !n.manager);

/**
 * promote / demote: manager-level, so they go through approval first. Docker
 * answers as soon as it has recorded the new role; the node joins or leaves
 * Raft after that, and only then is it said to be done.
 */
export const changeRole = (to: 'manager' | 'worker', settleMs = ROLE_SETTLE_MS, pollMs = 500): ChangeAction<NodeArgs, NodePlan> => ({
  async plan(ctx, args) {
    const nodes = await ctx.swarm.nodes.list();
    const node = resolveNode(nodes, args.node);
    const verb = to === 'manager' ? 'promote' : 'demote';
    const summary = `${verb} ${code(node.hostname)} (${node.id.slice(0, 12)}) to ${to}`;
    if (node.role === to) {
      return { summary, details: [], data: { node }, done: alreadyDone(`${node.hostname} is already a ${to}`, `${code(node.hostname)} is already a ${to}.`) };
    }
    const managers = nodes.filter((n) => n.role === 'manager');
    const reachable = managers.filter(isReachableManager).length;
    const before = assessQuorum(managers.length, reachable);
    const after =
      to === 'manager'
        ? assessQuorum(managers.length + 1, reachable + (node.state === 'ready' ? 1 : 0))
        : assessQuorum(managers.length - 1, reachable - (isReachableManager(node) ? 1 : 0));

    if (to === 'worker') {
      if (managers.length === 1) {
        throw new QuorumGuardError(`${code(node.hostname)} is the last manager; demoting it would leave the swarm without managers. Promote another node first. Nothing was changed.`);
      }
      if (after.verdict === 'quorum lost') {
        const down = managers.filter((m) => !isReachableManager(m) && m.id !== node.id).map((m) => code(m.hostname));
        throw new QuorumGuardError(
          `Demoting ${code(node.hostname)} would lose quorum: ${explainQuorum(after)}` +
            (down.length ? ` Unreachable now: ${down.join(', ')}.` : '') +
            ' Bring the unreachable managers back (or promote another node) first. Nothing was changed.',
        );
      }
    } else if (node.state !== 'ready') {
      throw new QuorumGuardError(`${code(node.hostname)} is ${node.state}; a manager that can't be reached would only count against quorum. Nothing was changed.`);
    }
    // bound to the node ID the approver saw: a node re-joined under the same hostname is another node
    return { summary, details: arithmetic(before, after, `After the ${verb}`), data: { node }, binding: { node: node.id } };
  },

  async apply(ctx, _args, plan) {
    const { node } = plan.data;
    await ctx.swarm.nodes.update(node.id, { role: to });
    const deadline = Date.now() + settleMs;
    const raft = to === 'manager' ? 'to be reachable in Raft' : 'to leave Raft';
    while (!settledAs((await ctx.swarm.nodes.list().catch((): SwarmNode[] => [])).find((n) => n.id === node.id), to)) {
      if (Date.now() > deadline) {
        return reply(`${node.hostname} is becoming a ${to}`, 'warn', [
          {
            kind: 'text',
            text: `Docker recorded the new role, but ${code(node.hostname)} has not finished ${to === 'manager' ? 'joining Raft' : 'leaving Raft'} after ${Math.round(settleMs / 1000)} s. Swarm goes on by itself; \`/swarm status\` shows when it has. Nothing needs doing again.`,
          },
          ...asDone(plan.details),
        ]);
      }
      ctx.progress(`Waiting for ${node.hostname} ${raft}…`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
    // the decision message says who asked and who approved; the arithmetic is now history
    return reply(`${node.hostname} is now a ${to}`, 'ok', asDone(plan.details));
  },
});

/** drain / activate: where tasks run. Raft membership is untouched by either. */
export const changeAvailability = (to: 'drain' | 'active'): ChangeAction<NodeArgs & { force?: boolean }, NodePlan> => ({
  async plan(ctx, args) {
    const nodes = await ctx.swarm.nodes.list();
    const node = resolveNode(nodes, args.node);
    const verb = to === 'drain' ? 'drain' : 'activate';
    const state = to === 'drain' ? 'drained' : 'active';
    const summary = `${verb} ${code(node.hostname)} (availability ${to})`;
    if (node.availability === to) {
      return { summary, details: [], data: { node }, done: alreadyDone(`${node.hostname} is already ${state}`, `${code(node.hostname)} is already ${state}.`) };
    }
    const details: ReplyPart[] = [];
    if (node.role === 'manager') {
      const managers = nodes.filter((n) => n.role === 'manager');
      const q = assessQuorum(managers.length, managers.filter(isReachableManager).length);
      details.push({
        kind: 'text',
        text: `${code(node.hostname)} is a manager: ${to === 'drain' ? 'draining' : 'activating'} it changes where tasks run, not Raft membership (a drained manager still votes). ${explainQuorum(q)}`,
      });
    }
    if (to === 'drain') {
      const activeLeft = nodes.filter((n) => n.id !== node.id && n.state === 'ready' && n.availability === 'active');
      if (!activeLeft.length) {
        throw new QuorumGuardError(
          `Draining ${code(node.hostname)} would leave no ready, active node to run services. Activate another node first (\`/swarm activate <node>\`). Nothing was changed.`,
        );
      }
      details.push({ kind: 'context', text: `${activeLeft.length} other ready, active node${activeLeft.length === 1 ? '' : 's'} will take its tasks.` });
      const radius = await blastRadius(ctx, node, nodes);
      if (radius.stranded.length && !args.force) {
        throw new QuorumGuardError(
          `Draining ${code(node.hostname)} would leave ${radius.stranded.map((s) => code(s)).join(', ')} with no other node to run on (${radius.why.join('; ')}). ` +
            `Nothing was changed. Make room first (\`/swarm activate <node>\`, or a node label its constraints ask for), or type \`/swarm drain ${node.hostname} --force\` to take ${radius.stranded.length === 1 ? 'it' : 'them'} down.`,
        );
      }
      details.push(...radius.parts);
    }
    return { summary, details, data: { node } };
  },

  async apply(ctx, _args, plan) {
    const { node } = plan.data;
    await ctx.swarm.nodes.update(node.id, { availability: to });
    return reply(`${node.hostname} is now ${to === 'drain' ? 'drained' : 'active'}`, 'ok', plan.details);
  },
});

/**
 * What a drain does to the services with tasks on the node: where each goes,
 * which one has nowhere to go, which single-replica one is down meanwhile.
 */
async function blastRadius(ctx: ReadContext, node: SwarmNode, nodes: SwarmNode[]): Promise<{ parts: ReplyPart[]; stranded: string[]; why: string[] }> {
  const [services, tasks] = await Promise.all([ctx.swarm.services.list(), ctx.swarm.services.tasks()]);
  const here = new Map<string, number>();
  for (const t of tasks) if (t.nodeId === node.id && t.desiredState === 'running') here.set(t.serviceId, (here.get(t.serviceId) ?? 0) + 1);
  const rows: string[][] = [];
  const stranded: string[] = [];
  const why: string[] = [];
  const guesses = new Set<string>();
  for (const svc of services.filter((s) => here.has(s.id)).sort((a, b) => a.name.localeCompare(b.name))) {
    const placement = readConstraints(svc.constraints);
    for (const u of placement.unknown) guesses.add(u);
    const elsewhere = nodes.filter((n) => n.id !== node.id && schedulable(n) && placement.matches(n));
    const count = here.get(svc.id)!;
    if (svc.mode === 'global') {
      rows.push([svc.name, 'global', `its task here stops; ${svc.running - count} keep running elsewhere`]);
    } else if (!elsewhere.length) {
      stranded.push(svc.name);
      why.push(svc.constraints.length ? `${svc.name}: ${svc.constraints.join(', ')} matches no other ready, active node` : `${svc.name}: no other ready, active node`);
      rows.push([svc.name, `${count} of ${svc.replicas ?? svc.desired}`, 'NO OTHER NODE: down until this node is active again']);
    } else if ((svc.replicas ?? 0) <= 1) {
      rows.push([svc.name, `${count} of ${svc.replicas ?? svc.desired}`, `down until its task restarts elsewhere (${elsewhere.length} eligible node${elsewhere.length === 1 ? '' : 's'})`]);
    } else {
      rows.push([svc.name, `${count} of ${svc.replicas ?? svc.desired}`, `${count === 1 ? 'moves' : 'move'} to ${elsewhere.length} eligible node${elsewhere.length === 1 ? '' : 's'}; ${svc.running - count} keep running`]);
    }
  }
  if (!rows.length) return { parts: [{ kind: 'context', text: `No service has a task on ${code(node.hostname)}.` }], stranded, why };
  const parts: ReplyPart[] = [{ kind: 'table', noun: 'services', columns: ['SERVICE', 'TASKS HERE', 'WHAT HAPPENS'], rows }];
  if (guesses.size) parts.push({ kind: 'context', text: `Not judged from the node list (counted as matching): ${[...guesses].map((g) => code(g)).join(', ')}.` });
  return { parts, stranded, why };
}
