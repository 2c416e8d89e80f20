import { naturalCompare } from '../domain/natural-sort.js';
import { closest } from '../commands/parse.js';
import { UserFacingError } from '../errors.js';
import type { SwarmNode } from '../ports.js';

/** Shorter ID prefixes pick a node by chance: `drain w` must not drain the leader. */
const MIN_ID_PREFIX = 4;

/** `<node>` is a hostname or a unique prefix (4 characters or more) of a node ID. */
export function resolveNode(nodes: SwarmNode[], ref: string): SwarmNode {
  const byName = nodes.filter((n) => n.hostname.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  const byId = nodes.filter((n) => n.id === ref);
  if (byId.length === 1) return byId[0]!;
  const byPrefix = ref.length >= MIN_ID_PREFIX ? nodes.filter((n) => n.id.startsWith(ref.toLowerCase()) || n.id.startsWith(ref)) : [];
  const candidates = byName.length > 1 ? byName : byPrefix;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    const list = candidates.slice(0, 10).map((n) => `\`${n.id.slice(0, 12)}\` (${n.hostname})`).join(', ');
    throw new UserFacingError(
      'AMBIGUOUS_NODE',
      `\`${ref}\` matches ${candidates.length} nodes: ${list}${candidates.length > 10 ? ', …' : ''}. Type more of the ID${byName.length > 1 ? ' (the hostname is shared)' : ''}.`,
    );
  }
  const startsLike = nodes
    .filter((n) => n.hostname.toLowerCase().startsWith(ref.toLowerCase()))
    .sort((a, b) => naturalCompare(a.hostname, b.hostname));
  if (startsLike.length > 1) {
    throw new UserFacingError(
      'AMBIGUOUS_NODE',
      `No node is called \`${ref}\`; ${startsLike.length} hostnames start with it: ${startsLike.slice(0, 10).map((n) => `\`${n.hostname}\``).join(', ')}${startsLike.length > 10 ? ', …' : ''}. Type the full hostname.`,
    );
  }
  // every hostname as close as the closest: naming one of several would be a guess
  const hints = startsLike[0] ? [startsLike[0].hostname] : closest(ref, nodes.map((n) => n.hostname).sort(naturalCompare));
  const named = hints.map((h) => `\`${h}\``);
  const hint = hints.length > 5 ? '' : named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : (named[0] ?? '');
  throw new UserFacingError(
    'UNKNOWN_NODE',
    `No node \`${ref}\` in this swarm.${hint ? ` Did you mean ${hint}?` : ''} Type the full hostname or at least ${MIN_ID_PREFIX} characters of the ID; \`/swarm nodes\` lists them.`,
  );
}
