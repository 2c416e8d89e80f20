import { REGISTRY, type CommandName } from '../commands/registry.js';
import { help } from './help.js';
import { join } from './join.js';
import { changeAvailability, changeRole } from './node-lifecycle.js';
import { overlayCreate, overlayLs, overlayRm } from './overlay.js';
import { overlayCheck } from './overlay-check.js';
import { nodes } from './nodes.js';
import { rotate } from './rotate.js';
import { status } from './status.js';
import type { Action } from './types.js';

/** The worker's half of the registry: what each command does, keyed by the same names. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ACTIONS: Record<CommandName, Action<any>> = {
  help,
  status,
  nodes,
  rotate,
  'join worker': join('worker'),
  'join manager': join('manager'),
  'overlay ls': overlayLs,
  'overlay create': overlayCreate,
  'overlay rm': overlayRm,
  'overlay check': overlayCheck(),
  promote: changeRole('manager'),
  demote: changeRole('worker'),
  drain: changeAvailability('drain'),
  activate: changeAvailability('active'),
};

/** Fails at start-up when the action table and the command registry disagree. */
export function checkActionTable(table: Record<string, unknown> = ACTIONS): void {
  const missing = [...REGISTRY.keys()].filter((n) => !table[n]);
  const extra = Object.keys(table).filter((n) => !REGISTRY.has(n));
  if (missing.length || extra.length) {
    throw new Error(`Action table and registry disagree: missing ${missing.join(', ') || '-'}; extra ${extra.join(', ') || '-'}`);
  }
}
