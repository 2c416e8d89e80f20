import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { ArgsFor } from '../commands/registry.js';
import type { SwarmNode } from '../ports.js';
import type { ReadAction } from './types.js';
import { nodesOrQuorumLost, sortNodes } from './status.js';

/** Rows a page shows: a Slack message holds about a hundred table rows; a page stays well inside. */
export const NODES_PER_PAGE = 60;

type Filter = NonNullable<ArgsFor<'nodes'>['filter']>;

const matches = (f: Filter) => (n: SwarmNode): boolean => {
  switch (f.kind) {
    case 'down':
      return n.state !== 'ready';
    case 'ready':
      return n.state === 'ready';
    case 'manager':
    case 'worker':
      return n.role === f.kind;
    case 'drain':
      return n.availability === 'drain';
    case 'label':
      return n.labels[f.key!] === f.value;
  }
};

const describeFilter = (f: Filter) => (f.kind === 'label' ? `label ${code(`${f.key}=${f.value}`)}` : f.kind === 'down' ? 'not ready' : f.kind);

/** `/swarm nodes [--filter …] [--page N]`: every node, summarised and paged so that any swarm fits. */
export const nodes: ReadAction<ArgsFor<'nodes'>> = {
  async run(ctx, args) {
    // without a leader there is no node list: say who is there instead of failing
    const list = await nodesOrQuorumLost(ctx);
    if (!Array.isArray(list)) return list;
    const all = sortNodes(list);
    const managers = all.filter((n) => n.role === 'manager').length;
    const reachable = all.filter((n) => n.manager?.reachability === 'reachable').length;
    const quorum = assessQuorum(managers, Math.min(reachable, managers));
    // a manager that has just lost its peers may still answer from its last view
    const lost: ReplyPart[] =
      quorum.verdict === 'quorum lost'
        ? [{ kind: 'text', text: `*Quorum lost:* ${explainQuorum(quorum)} This is the answering manager's last view and may be stale.` }]
        : [];
    const shown = args.filter ? all.filter(matches(args.filter)) : all;
    const pages = Math.max(1, Math.ceil(shown.length / NODES_PER_PAGE));
    const page = args.page ?? 1;
    if (page > pages) {
      throw new UserFacingError('VALIDATION', `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of nodes${args.filter ? ` (${describeFilter(args.filter)})` : ''}; type \`--page ${pages}\` or less.`);
    }
    const rows = shown.slice((page - 1) * NODES_PER_PAGE, page * NODES_PER_PAGE);
    const notReady = all.filter((n) => n.state !== 'ready').length;
    const drained = all.filter((n) => n.availability === 'drain').length;
    const of = args.filter ? `${shown.length} of ${all.length}, ${describeFilter(args.filter)}` : String(all.length);
    const more = page < pages ? ` · page ${page} of ${pages}: type \`/swarm nodes${args.filter ? ` --filter ${args.filter.kind === 'label' ? `${args.filter.key}=${args.filter.value}` : args.filter.kind}` : ''} --page ${page + 1}\` for more` : pages > 1 ? ` · page ${page} of ${pages}` : '';
    return reply(`Nodes of ${ctx.cluster} (${of})${lost.length ? ': quorum lost' : ''}`, lost.length ? 'error' : 'info', [
      ...lost,
      {
        kind: 'table',
        noun: 'nodes',
        columns: ['HOSTNAME', 'ID', 'ROLE', 'STATUS', 'AVAILABILITY', 'MANAGER', 'ENGINE'],
        rows: rows.map((n) => [
          n.hostname,
          n.id.slice(0, 12),
          n.role,
          n.state,
          n.availability,
          n.manager ? (n.manager.leader ? 'leader' : n.manager.reachability) : '-',
          n.engineVersion,
        ]),
      },
      {
        kind: 'context',
        text:
          `${managers} manager${managers === 1 ? '' : 's'}, ${all.length - managers} worker${all.length - managers === 1 ? '' : 's'}, ${notReady} not ready, ${drained} drained · ` +
          `managers and nodes that are not ready come first${more}`,
      },
    ]);
  },
};
