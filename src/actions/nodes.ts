import { reply } from '../domain/reply.js';
import type { Action } from './types.js';
import { isQuorumLost, quorumLostStatus, sortNodes } from './status.js';

export const nodes: Action = async (ctx) => {
  let list;
  try {
    list = await ctx.swarm.listNodes();
  } catch (err) {
    // Without a leader there is no node list; say who is there instead of failing.
    if (isQuorumLost(err)) return quorumLostStatus(ctx.cluster, await ctx.swarm.probeManagers());
    throw err;
  }
  const sorted = sortNodes(list);
  const managers = sorted.filter((n) => n.role === 'manager').length;
  return reply(`Nodes of ${ctx.cluster} (${list.length})`, 'info', [
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
};
