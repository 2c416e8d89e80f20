/**
 * Where a service's tasks may run, as swarmkit's constraint filter reads
 * `node.id`, `node.hostname`, `node.role`, `node.platform.os` and
 * `node.labels.*` (`==` and `!=`). What we can't evaluate from the node list
 * (engine labels, resources) counts as a match: the bot never refuses on a
 * guess, and says so.
 */
import type { SwarmNode } from '../ports.js';

export interface ConstraintReading {
  matches: (n: SwarmNode) => boolean;
  /** constraints the node list can't decide */
  unknown: string[];
}

export function readConstraints(constraints: string[]): ConstraintReading {
  const checks: Array<(n: SwarmNode) => boolean> = [];
  const unknown: string[] = [];
  for (const c of constraints) {
    const m = /^\s*([\w.\-/]+)\s*(==|!=)\s*(.*?)\s*$/.exec(c);
    if (!m) {
      unknown.push(c);
      continue;
    }
    const [, key, op, want] = m as unknown as [string, string, '==' | '!=', string];
    const value = (n: SwarmNode): string | undefined => {
      if (key === 'node.id') return n.id;
      if (key === 'node.hostname') return n.hostname;
      if (key === 'node.role') return n.role;
      if (key === 'node.platform.os') return n.os;
      if (key.startsWith('node.labels.')) return n.nodeLabels[key.slice('node.labels.'.length)];
      return undefined;
    };
    if (!(key === 'node.id' || key === 'node.hostname' || key === 'node.role' || key === 'node.platform.os' || key.startsWith('node.labels.'))) {
      unknown.push(c);
      continue;
    }
    // swarmkit compares case-insensitively, and a missing label never equals
    checks.push((n) => {
      const v = value(n);
      const equal = v !== undefined && v.toLowerCase() === want.toLowerCase();
      return op === '==' ? equal : !equal;
    });
  }
  return { matches: (n) => checks.every((f) => f(n)), unknown };
}

/** Nodes that take new tasks: ready and active. */
export const schedulable = (n: SwarmNode) => n.state === 'ready' && n.availability === 'active';
