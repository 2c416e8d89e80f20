import { didYouMean } from '../commands/parse.js';
import { UserFacingError } from '../errors.js';
import type { SwarmNode } from '../ports.js';

/** `<node>` is a hostname or a unique prefix of a node ID. */
export function resolveNode(nodes: SwarmNode[], ref: string): SwarmNode {
  const byName = nodes.filter((n) => n.hostname.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  const byId = nodes.filter((n) => n.id === ref);
  if (byId.length === 1) return byId[0]!;
  const candidates = byName.length > 1 ? byName : nodes.filter((n) => n.id.startsWith(ref.toLowerCase()) || n.id.startsWith(ref));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    const list = candidates.slice(0, 10).map((n) => `\`${n.id.slice(0, 12)}\` (${n.hostname})`).join(', ');
    throw new UserFacingError(
      'AMBIGUOUS_NODE',
      `\`${ref}\` matches ${candidates.length} nodes: ${list}${candidates.length > 10 ? ', …' : ''}. Type more of the ID${byName.length > 1 ? ' (the hostname is shared)' : ''}.`,
    );
  }
  const hint = didYouMean(ref, nodes.map((n) => n.hostname));
  throw new UserFacingError(
    'UNKNOWN_NODE',
    `No node \`${ref}\` in this swarm.${hint ? ` Did you mean \`${hint}\`?` : ''} Type \`/swarm nodes\` to list hostnames and IDs.`,
  );
}
