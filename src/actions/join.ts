import type { DaemonInfo, NodeRole, SwarmNode } from '../ports.js';
import { SwarmError, UserFacingError, ValidationError } from '../errors.js';
import { inCidrs } from '../domain/ip-address.js';
import { isIP } from 'node:net';
import { assessQuorum, evenManagersAdvice, explainQuorum } from '../domain/quorum.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { ArgsFor } from '../commands/registry.js';
import { preflight } from './join-preflight.js';
import { asDone } from './node-lifecycle.js';
import type { ChangeAction, ChangeContext } from './types.js';

type JoinArgs = ArgsFor<'join worker'>;

interface JoinPlan {
  target: DaemonInfo;
  /** an old manager of this swarm: it leaves first */
  stale: boolean;
  /** its old node object, removed before it joins again */
  oldNodeId?: string;
}

/** `/swarm join worker|manager <url>`: the bot joins the node itself, so no token is ever shown. */
export const join = (role: NodeRole): ChangeAction<JoinArgs, JoinPlan> => ({
  async plan(ctx, args) {
    const url = args.url.url;
    checkJoinCidrs(ctx.policy.clusters[ctx.cluster]?.joinCidrs, ctx.cluster, args.url);
    // needs a leader, also for a dry run: a join can't happen without one
    const members = await ctx.swarm.nodes.list();
    const target = await ctx.swarm.nodes.inspectDaemon(url);
    const member = members.find((n) => n.id === target.nodeId);
    // an old manager of this very swarm (after a recovery, or removed while it was down) leaves its stale state first
    // (a manager removed while it was down no longer knows the swarm's ID, only the managers it was with)
    const ourManagers = new Set(members.filter((n) => n.manager?.addr).map((n) => n.manager!.addr));
    const sameSwarm =
      (Boolean(target.clusterId) && target.clusterId === (await ctx.swarm.cluster.inspect()).id) ||
      (target.localState !== 'active' && target.remoteManagers.some((m) => ourManagers.has(m.addr)));
    // after a recovery an old manager may even say "ready": Raft's own member list (the leader's /info) decides
    const leaderInfo = member?.role === 'manager' ? await ctx.swarm.nodes.info().catch(() => undefined) : undefined;
    const notInRaft = Boolean(leaderInfo?.controlAvailable && leaderInfo.remoteManagers.length && !leaderInfo.remoteManagers.some((m) => m.nodeId === member?.id));
    const stale = role === 'manager' && target.localState !== 'inactive' && (member ? member.state !== 'ready' || notInRaft : sameSwarm);
    if (member && !stale) {
      throw new SwarmError(
        'ALREADY_IN_SWARM',
        `${code(member.hostname)} (${code(url)}) is already a ${member.role} of ${code(ctx.cluster)}; nothing was changed.` +
          (role === 'manager' && member.role === 'worker' ? ` To make it a manager, type \`/swarm promote ${member.hostname}\`.` : ''),
      );
    }
    if (target.localState !== 'inactive' && !stale) {
      throw new SwarmError(
        'ALREADY_IN_SWARM',
        `${code(target.name)} (${code(url)}) is already part of a swarm (state: ${target.localState}); nothing was changed. ` +
          'Run `docker swarm leave` on it first if it should join this one.',
      );
    }
    // the operating guide's prerequisites, before any token is read
    const checks = stale
      ? []
      : await preflight({ url, target, members, probeImage: ctx.policy.probeImage, nodes: ctx.swarm.nodes, networks: ctx.swarm.networks, daemons: ctx.swarm.targets, dryRun: args['dry-run'] === true });
    const addrs = [
      `advertise ${args['advertise-addr'] ?? `${args.url.host} (from the URL)`}`,
      `data path ${args['data-path-addr'] ?? args['advertise-addr'] ?? `${args.url.host} (from the URL)`}`,
    ];
    const details: ReplyPart[] = [...checks, { kind: 'text', text: `Addresses: ${addrs.join(', ')}.` }];
    if (stale) details.unshift({ kind: 'text', text: `${code(target.name)} is an old manager of this swarm that is no longer a member: it leaves its stale swarm state first (\`docker swarm leave --force\`), then joins.` });
    if (role === 'manager') details.push(...managerArithmetic(members));
    if (ctx.policy.rotateAfterJoin) details.push({ kind: 'context', text: `The ${role} join token is rotated right after the join attempt, whatever its outcome.` });
    return {
      summary: `join ${code(target.name)} (${code(url)}) to ${code(ctx.cluster)} as a ${role}`,
      details,
      data: { target, stale, ...(stale && member ? { oldNodeId: member.id } : {}) },
      // the approver approves this daemon, not whatever answers at that address later
      binding: { engineId: target.engineId, certificate: target.apiCertFingerprint ?? 'unknown' },
    };
  },

  async apply(ctx, args, plan) {
    let node: SwarmNode;
    ctx.progress(`joining ${plan.data.target.name}… waiting for Ready`);
    if (plan.data.stale) {
      await ctx.swarm.daemons.leave(args.url.url, true);
      if (plan.data.oldNodeId) await removeOldNode(ctx, plan.data.oldNodeId);
    }
    try {
      node = await ctx.swarm.nodes.join({
        url: args.url.url,
        role,
        ...(args['advertise-addr'] ? { advertiseAddr: args['advertise-addr'] } : {}),
        ...(args['data-path-addr'] ? { dataPathAddr: args['data-path-addr'] } : {}),
        ...(plan.binding ? { expect: { engineId: plan.data.target.engineId, certFingerprint: plan.data.target.apiCertFingerprint } } : {}),
      });
    } catch (err) {
      // a token that may have reached the target dies now, whatever the target answered: a fake daemon keeps nothing
      if (!ctx.policy.rotateAfterJoin) throw err;
      throw withRotation(err, await rotateUsedToken(ctx, role));
    }
    const after = ctx.policy.rotateAfterJoin ? [await rotateUsedToken(ctx, role)] : [];
    const done: ReplyPart[] = [
      {
        kind: 'fields',
        fields: [
          ['Node', `${code(node.hostname)} (${node.id.slice(0, 12)})`],
          ['Role', node.role],
          ['Status', `${node.state}, ${node.availability}`],
          ['Engine', code(node.engineVersion)],
        ],
      },
      ...after,
    ];
    const warned = after.some((p) => p.kind === 'list');
    return reply(`${node.hostname} joined ${ctx.cluster} as a ${role}`, warned ? 'warn' : 'ok', [
      ...(role === 'manager' ? asDone(plan.details.filter((p) => p.kind === 'fields')) : []),
      ...done,
    ]);
  },
});

function managerArithmetic(members: SwarmNode[]): ReplyPart[] {
  const managers = members.filter((n) => n.role === 'manager');
  const reachable = managers.filter((m) => m.manager?.reachability === 'reachable').length;
  const before = assessQuorum(managers.length, reachable);
  const after = assessQuorum(managers.length + 1, reachable + 1);
  const parts: ReplyPart[] = [{ kind: 'fields', fields: [['Now', explainQuorum(before)], ['After the join', explainQuorum(after)]] }];
  if (after.managers % 2 === 0) parts.push({ kind: 'list', title: 'Warning', tone: 'warn', items: [evenManagersAdvice(after.managers)] });
  return parts;
}

async function rotateUsedToken(ctx: ChangeContext, role: NodeRole): Promise<ReplyPart> {
  try {
    const { rotated } = await ctx.swarm.tokens.rotate([role]);
    return { kind: 'context', text: rotated.includes(role) ? `The ${role} join token used for this join has been rotated.` : `Rotating the ${role} join token reported no change.` };
  } catch (err) {
    return {
      kind: 'list',
      title: 'Token not rotated',
      tone: 'warn',
      items: [`Rotating the ${role} join token after the join failed (${err instanceof Error ? err.message : String(err)}). Run \`/swarm rotate ${role}\` now.`],
    };
  }
}

/** The join's own error, with what became of the token said after it. */
function withRotation(err: unknown, rotation: ReplyPart): unknown {
  const note = rotation.kind === 'context' ? rotation.text : rotation.kind === 'list' ? rotation.items.join(' ') : '';
  if (err instanceof UserFacingError) return new UserFacingError(err.code, `${err.message} ${note}`, { cause: err });
  return Object.assign(err instanceof Error ? err : new Error(String(err)), { rotation: note });
}

/** The policy's `joinCidrs` (join targets, and unlock targets that are not configured endpoints): a target outside is refused before anything connects to it. */
export function checkJoinCidrs(cidrs: string[] | undefined, cluster: string, url: { url: string; host: string }, doing = 'joins nodes'): void {
  if (!cidrs?.length) return;
  const allowed = cidrs.map(code).join(', ');
  // a name could resolve elsewhere by the time we connect: only an address can be checked
  if (!isIP(url.host)) {
    throw new ValidationError(`${code(cluster)} ${doing} only inside ${allowed}: type the node's IP address, e.g. \`tcp://10.0.1.25:2376\`, not a host name. Nothing was contacted.`);
  }
  if (!inCidrs(url.host, cidrs)) {
    throw new ValidationError(`${code(url.url)} is outside the networks ${code(cluster)} ${doing} from (${allowed}). Nothing was contacted; check the address.`);
  }
}

/** The node object a stale manager left behind: demoted (if Docker still counts it a manager), then removed. */
async function removeOldNode(ctx: ChangeContext, id: string): Promise<void> {
  const old = (await ctx.swarm.nodes.list()).find((n) => n.id === id);
  if (!old) return;
  // after a recovery Docker may still list it as a manager while Raft no longer knows it: then it can only be removed
  if (old.role === 'manager') await ctx.swarm.nodes.update(id, { role: 'worker' }).catch(() => undefined);
  await ctx.swarm.nodes.remove(id, { force: true });
}
