/**
 * Changes made outside swarm-ops: someone ran `docker service update` (or
 * create, or rm) over ssh. The watch keeps one record per service with the
 * fingerprint of its spec and what a person needs to read a change (image,
 * replicas, env variable names, ports, constraints), and compares each pass's
 * `GET /services` with it. Pure: the table and Slack are the pass's business.
 *
 * - `Version.Index` moves on every write, Docker's own update-status writes
 *   included: the spec's fingerprint is compared, never the version.
 * - A change swarm-ops makes itself (its rollouts, a Roll back click) is noted
 *   in the table before it is sent (`WatchOwnChange`): the move that follows
 *   is recorded without a word. So is a rollback Docker makes on its own
 *   (its failure action): the rollout incident tells that one.
 * - The first pass over a cluster records what it finds and says nothing.
 * - A record is written only when its service changed, so the table's writes
 *   grow with what changed, not with what exists.
 */
import type { SwarmService, WatchOwnChange, WatchServiceRecord } from '../ports.js';
import { code } from '../render/escape.js';
import { shortImage } from '../shared/service-health.js';
import { dockerRolledBack, isProbeService } from './detect-services.js';

/** how long a note of swarm-ops' own change counts (the change is made right after it is written) */
export const OWN_CHANGE_MS = 15 * 60_000;

export interface OutsideChange {
  type: 'changed' | 'created' | 'removed';
  id: string;
  name: string;
  /** what changed, one line each, markup: "image `a:1` → `a:2`" */
  lines: string[];
  /** when Docker says it was written (its UpdatedAt), or when the watch saw it */
  at: number;
  /** the service has a previous spec: Roll back is offered */
  rollback: boolean;
  /** the record to keep once it is said (none: forget the service) */
  record?: WatchServiceRecord;
}

export interface OutsideChangeResult {
  /** to be said, then recorded */
  changes: OutsideChange[];
  /** recorded without a word: the first pass, swarm-ops' own changes, Docker's rollbacks, a rename */
  quiet: WatchServiceRecord[];
  /** notes of swarm-ops' own changes that explained a move: forgotten */
  used: string[];
}

const portText = (p: SwarmService['ports'][number]) => `${p.published ?? '*'}:${p.target ?? '*'}/${p.protocol}`;

export function recordOf(cluster: string, s: SwarmService, now: number): WatchServiceRecord {
  return {
    cluster,
    id: s.id,
    name: s.name,
    fingerprint: s.fingerprint,
    image: s.image,
    ...(s.mode === 'replicated' && s.replicas !== undefined ? { replicas: s.replicas } : {}),
    mode: s.mode,
    envNames: [...new Set(s.envNames)].sort(),
    ports: s.ports.map(portText).sort(),
    constraints: [...s.constraints].sort(),
    forceUpdate: s.forceUpdate,
    seenAt: now,
  };
}

const replicasOf = (r: Pick<WatchServiceRecord, 'mode' | 'replicas'>) => (r.mode === 'replicated' ? String(r.replicas ?? 1) : r.mode);

function added(before: string[], after: string[]): { plus: string[]; minus: string[] } {
  return { plus: after.filter((x) => !before.includes(x)), minus: before.filter((x) => !after.includes(x)) };
}

/** What changed between two records, for a person: env variable names only, never a value. */
export function describeChange(before: WatchServiceRecord, after: WatchServiceRecord): string[] {
  const lines: string[] = [];
  if (before.image !== after.image) lines.push(`image ${code(shortImage(before.image))} → ${code(shortImage(after.image))}`);
  if (replicasOf(before) !== replicasOf(after)) lines.push(`replicas ${replicasOf(before)} → ${replicasOf(after)}`);
  const env = added(before.envNames, after.envNames);
  if (env.plus.length) lines.push(`environment variable${env.plus.length === 1 ? '' : 's'} added: ${env.plus.map(code).join(', ')}`);
  if (env.minus.length) lines.push(`environment variable${env.minus.length === 1 ? '' : 's'} removed: ${env.minus.map(code).join(', ')}`);
  const ports = added(before.ports, after.ports);
  if (ports.plus.length) lines.push(`port${ports.plus.length === 1 ? '' : 's'} published: ${ports.plus.map(code).join(', ')}`);
  if (ports.minus.length) lines.push(`port${ports.minus.length === 1 ? '' : 's'} no longer published: ${ports.minus.map(code).join(', ')}`);
  const cons = added(before.constraints, after.constraints);
  if (cons.plus.length) lines.push(`constraint${cons.plus.length === 1 ? '' : 's'} added: ${cons.plus.map(code).join(', ')}`);
  if (cons.minus.length) lines.push(`constraint${cons.minus.length === 1 ? '' : 's'} removed: ${cons.minus.map(code).join(', ')}`);
  if (before.forceUpdate !== after.forceUpdate) lines.push('every task restarted (`--force`)');
  // the fingerprint holds a hash of each variable: the same names and a moved fingerprint is a value changed
  if (!lines.length) lines.push('the value of an environment variable (the names are the same; values are never shown)');
  return lines;
}

const describeNew = (r: WatchServiceRecord): string[] => [
  `image ${code(shortImage(r.image))}, replicas ${replicasOf(r)}`,
  ...(r.ports.length ? [`ports ${r.ports.map(code).join(', ')}`] : []),
  ...(r.envNames.length ? [`environment variables ${r.envNames.map(code).join(', ')}`] : []),
  ...(r.constraints.length ? [`constraints ${r.constraints.map(code).join(', ')}`] : []),
];

export function outsideChanges(input: { cluster: string; now: number; services: SwarmService[]; records: WatchServiceRecord[]; own: WatchOwnChange[]; firstPass: boolean }): OutsideChangeResult {
  const { cluster, now } = input;
  const result: OutsideChangeResult = { changes: [], quiet: [], used: [] };
  const records = new Map(input.records.map((r) => [r.id, r]));
  const own = new Map(input.own.filter((o) => o.until > now && o.at <= now).map((o) => [o.serviceId, o]));
  const services = input.services.filter((s) => !isProbeService(s));
  const at = (s: SwarmService) => s.updatedAt?.getTime() ?? now;
  for (const s of services) {
    const before = records.get(s.id);
    const after = recordOf(cluster, s, now);
    if (input.firstPass) {
      if (!before || before.fingerprint !== s.fingerprint || before.name !== s.name) result.quiet.push(after);
      continue;
    }
    if (!before) {
      result.changes.push({ type: 'created', id: s.id, name: s.name, lines: describeNew(after), at: at(s), rollback: false, record: after });
      continue;
    }
    if (before.fingerprint === s.fingerprint) {
      if (before.name !== s.name) result.quiet.push({ ...before, name: s.name });
      continue;
    }
    if (own.has(s.id)) {
      result.quiet.push(after);
      result.used.push(s.id);
      continue;
    }
    if (dockerRolledBack(s)) {
      result.quiet.push(after);
      continue;
    }
    result.changes.push({ type: 'changed', id: s.id, name: s.name, lines: describeChange(before, after), at: at(s), rollback: s.previous !== undefined, record: after });
  }
  if (!input.firstPass) {
    const live = new Set(input.services.map((s) => s.id));
    for (const r of records.values()) {
      if (!live.has(r.id)) result.changes.push({ type: 'removed', id: r.id, name: r.name, lines: [`it ran ${describeNew(r).join('; ')}`], at: now, rollback: false });
    }
  }
  return result;
}
