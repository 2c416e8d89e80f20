import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import type { ArgsFor } from '../commands/registry.js';
import type { ReadAction } from './types.js';
import { isQuorumLost, quorumLostStatus, sortNodes } from './status.js';

export const nodes: ReadAction<ArgsFor<'nodes'>> = { run: async (ctx) => {
  let list;
  try {
    list = await ctx.swarm.nodes.list();
  } catch (err) {
    // Without a leader there is no node list; say who is there instead of failing.
    if (isQuorumLost(err)) return quorumLostStatus(ctx.cluster, await ctx.swarm.nodes.probeManagers());
    throw err;
  }
  const sorted = sortNodes(list);
  const managers = sorted.filter((n) => n.role === 'manager').length;
  const reachable = sorted.filter((n) => n.manager?.reachability === 'reachable').length;
  const quorum = assessQuorum(managers, Math.min(reachable, managers));
  // a manager that has just lost its peers may still answer from its last view
  const lost: ReplyPart[] =
    quorum.verdict === 'quorum lost'
      ? [{ kind: 'text', text: `*Quorum lost:* ${explainQuorum(quorum)} This is the answering manager's last view and may be stale.` }]
      : [];
  return reply(`Nodes of ${ctx.cluster} (${list.length})${lost.length ? ': quorum lost' : ''}`, lost.length ? 'error' : 'info', [
    ...lost,
    {
      kind: 'table',
      noun: 'nodes',
      columns: ['HOSTNAME', 'ID', 'ROLE', 'STATUS', 'AVAILABILITY', 'MANAGER', 'ENGINE'],
      rows: sorted.map((n) => [
        n.hostname,
        n.id.slice(0, 12),
        n.role,
        n.state,
        n.availability,
        n.manager ? (n.manager.leader ? 'leader' : n.manager.reachability) : '-',
        n.engineVersion,
      ]),
    },
    { kind: 'context', text: `${managers} manager${managers === 1 ? '' : 's'}, ${list.length - managers} worker${list.length - managers === 1 ? '' : 's'} · managers and nodes that are not ready come first` },
  ]);
} };
