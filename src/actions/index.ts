import type { ArgsFor, NamesOfKind } from '../commands/registry.js';
import { REGISTRY } from '../commands/registry.js';
import { audit } from './audit-log.js';
import { autolock } from './autolock.js';
import { ca, caRotate } from './ca.js';
import { label } from './label.js';
import { nodeRm } from './node-rm.js';
import { recover } from './recover.js';
import { unlock } from './unlock.js';
import { help } from './help.js';
import { join } from './join.js';
import { changeAvailability, changeRole } from './node-lifecycle.js';
import { overlayCreate, overlayLs, overlayRm } from './overlay.js';
import { overlayCheck } from './overlay-check.js';
import { nodes } from './nodes.js';
import { rotate } from './rotate-tokens.js';
import { serviceRestart, serviceRollback, serviceScale, serviceUpdate, stackRollback } from './service-changes.js';
import { serviceLogs } from './service-logs.js';
import { service, services, stack, stacks } from './services.js';
import { status } from './status.js';
import { watch, watchMute, watchUnmute } from './watch-incidents.js';
import type { ChangeAction, ReadAction } from './types.js';

/**
 * The worker's half of the registry: what each command does, keyed by the
 * same names and typed from each command's declared arguments. A read
 * command has `run`; a change has `plan` and `apply`.
 */
export type ActionTable = { [N in NamesOfKind<'read'>]: ReadAction<ArgsFor<N>> } & {
  // a plan's data is each action's own business: the worker only hands it back to the same action
  [N in NamesOfKind<'change' | 'approval'>]: ChangeAction<ArgsFor<N>, unknown>;
};

export const ACTIONS: ActionTable = {
  help,
  status,
  nodes,
  audit,
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
  label,
  'node rm': nodeRm,
  ca,
  'ca rotate': caRotate(),
  autolock,
  unlock,
  recover,
  watch,
  'watch mute': watchMute,
  'watch unmute': watchUnmute,
  services,
  service,
  'service logs': serviceLogs,
  'service scale': serviceScale,
  'service restart': serviceRestart,
  'service update': serviceUpdate,
  'service rollback': serviceRollback,
  stacks,
  stack,
  'stack rollback': stackRollback,
};

/** Fails at start-up when the action table and the command registry disagree. */
export function checkActionTable(table: Record<string, unknown> = ACTIONS): void {
  const missing = [...REGISTRY.keys()].filter((n) => !table[n]);
  const extra = Object.keys(table).filter((n) => !REGISTRY.has(n));
  const wrongShape = [...REGISTRY.values()].filter((c) => table[c.name] && ('run' in (table[c.name] as object)) !== (c.kind === 'read')).map((c) => c.name);
  if (missing.length || extra.length || wrongShape.length) {
    throw new Error(
      `Action table and registry disagree: missing ${missing.join(', ') || '-'}; extra ${extra.join(', ') || '-'}; wrong shape ${wrongShape.join(', ') || '-'}`,
    );
  }
}
