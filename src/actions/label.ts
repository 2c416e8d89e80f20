import type { ArgsFor } from '../commands/registry.js';
import { reply } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { SwarmNode } from '../ports.js';
import { resolveNode } from './resolve-node.js';
import type { ChangeAction } from './types.js';

interface LabelPlan {
  node: SwarmNode;
  after: Record<string, string>;
}

const rows = (before: Record<string, string>, after: Record<string, string>) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .map((k) => [k, before[k] ?? '-', after[k] ?? '(removed)']);

/** `/swarm label <node> KEY=VALUE… | KEY-…`: node labels (Spec.Labels) only, before and after shown. */
export const label: ChangeAction<ArgsFor<'label'>, LabelPlan> = {
  async plan(ctx, args) {
    const node = resolveNode(await ctx.swarm.nodes.list(), args.node);
    const before = node.nodeLabels;
    const after = { ...before, ...args.changes.set };
    for (const k of args.changes.remove) delete after[k];
    const missing = args.changes.remove.filter((k) => !(k in before));
    const summary = `change the labels of ${code(node.hostname)}`;
    const table = { kind: 'table' as const, noun: 'labels', columns: ['LABEL', 'BEFORE', 'AFTER'], rows: rows(before, after) };
    const notes = missing.length ? [{ kind: 'context' as const, text: `Not set, so nothing to remove: ${missing.map(code).join(', ')}.` }] : [];
    if (JSON.stringify(Object.entries(after).sort()) === JSON.stringify(Object.entries(before).sort())) {
      return { summary, details: [], data: { node, after }, done: reply(`Labels of ${node.hostname} unchanged`, 'info', [{ kind: 'text', text: `${code(node.hostname)} already has these labels. Nothing was changed.` }, ...notes]) };
    }
    return { summary, details: [table, ...notes], data: { node, after } };
  },
  async apply(ctx, _args, plan) {
    const { node, after } = plan.data;
    await ctx.swarm.nodes.update(node.id, { labels: after });
    return reply(`Labels of ${node.hostname} changed`, 'ok', [
      ...plan.details,
      { kind: 'context', text: 'Node labels (`docker node update --label-add`), used by placement constraints and by status\'s availability-zone check (`az`, `zone`, `topology.kubernetes.io/zone`).' },
    ]);
  },
};
