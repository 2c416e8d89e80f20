/**
 * Findings against the incidents the table holds: what to post, what to say
 * in a thread, what to resolve. Pure, with the time passed in, so grace
 * periods, flaps and mutes are tested with a fake clock.
 *
 * - A condition must last the grace period before its incident opens (is
 *   posted), and be gone for the grace period before it is resolved. If it
 *   comes back within the grace period it is the same incident (a flap), so
 *   a flapping node is one incident, not one a minute.
 * - One incident per (cluster, kind, subject).
 * - A kind this pass could not judge (e.g. node states while quorum is lost)
 *   is left as it is: neither opened nor resolved.
 * - A muted incident is tracked (and listed by `/swarm watch`) but not posted;
 *   if it is still open when the mute ends, it is posted then.
 */
import type { IncidentKind, WatchIncident, WatchMute } from '../ports.js';
import type { Finding } from './detect.js';
import { isServiceKind } from './detect-services.js';
import { DAY_MS } from '../domain/time-format.js';

/** Kinds with a threshold of their own: they open at once, and resolve at once. */
const NO_GRACE: ReadonlySet<IncidentKind> = new Set(['cert-expiring', 'ca-rotation-stuck']);
/** Kinds that are sure when seen (Docker halted the rollout; 3 failures in 10 minutes): they open at once, and resolve after the grace period. */
const OPEN_AT_ONCE: ReadonlySet<IncidentKind> = new Set(['service-rollout', 'service-crash-loop']);
/** a worker whose condition came back this often within the grace period is flapping */
export const FLAPPING_AFTER = 2;

export type FollowUp = 'detail' | 'flapping' | 'day';

export type Change =
  /** bookkeeping only: nothing to post */
  | { type: 'track'; incident: WatchIncident }
  /** post the incident (unless muted), then keep it */
  | { type: 'open'; incident: WatchIncident; finding: Finding }
  /** a reply in the incident's thread, then keep it */
  | { type: 'follow-up'; incident: WatchIncident; what: FollowUp; finding: Finding }
  /** a reply in its thread and the first message edited, then forget it */
  | { type: 'resolve'; incident: WatchIncident }
  /** forget it: nothing was ever posted */
  | { type: 'drop'; incident: WatchIncident };

export const incidentKey = (i: { kind: IncidentKind; subject: string }) => `${i.kind}#${i.subject}`;

/**
 * Below desired opens after at least this: Docker restarts a failed task after
 * its restart delay (5 s by default), so a service whose tasks keep failing
 * has shown 3 failures by then and is called a crash loop, not "below desired".
 */
export const SERVICE_SETTLE_MS = 30_000;

export function graceFor(kind: IncidentKind, graceMs: number, to: 'open' | 'resolve' = 'resolve'): number {
  if (NO_GRACE.has(kind) || (to === 'open' && OPEN_AT_ONCE.has(kind))) return 0;
  return to === 'open' && kind === 'service-replicas' ? Math.max(graceMs, SERVICE_SETTLE_MS) : graceMs;
}

export function mutedBy(i: Pick<WatchIncident, 'kind' | 'subject' | 'name'>, mutes: WatchMute[], now: number): WatchMute | undefined {
  return mutes.find(
    (m) =>
      m.until > now &&
      (m.kind === i.kind || (m.nodeId !== undefined && m.nodeId === i.subject) || (m.serviceId !== undefined && m.serviceId === i.subject) || (!m.kind && m.target === i.name.toLowerCase())),
  );
}

/**
 * One service, one incident: when a service's most specific cause changes
 * (below desired, then a crash loop), the incident already posted carries on
 * in its thread under its kind; one not yet posted gives way to the new cause
 * and hands it its first sighting.
 */
function oneIncidentPerService(findings: Finding[], byKey: Map<string, WatchIncident>): { findings: Finding[]; inherited: Map<string, WatchIncident>; dropped: WatchIncident[] } {
  const inherited = new Map<string, WatchIncident>();
  const dropped: WatchIncident[] = [];
  const others = (f: Finding) => [...byKey.values()].filter((i) => i.subject === f.subject && isServiceKind(i.kind) && i.kind !== f.kind);
  const out = findings.map((f) => {
    if (!isServiceKind(f.kind) || byKey.has(incidentKey(f))) return f;
    const before = others(f);
    const posted = before.find((i) => i.status === 'open');
    // the cause moved: said in the thread of the incident posted (its detail names the new cause)
    if (posted) return { ...f, kind: posted.kind, detail: `${f.kind} ${f.detail}` };
    for (const i of before) {
      dropped.push(i);
      byKey.delete(incidentKey(i));
    }
    const first = before.sort((a, b) => a.since - b.since)[0];
    if (first) inherited.set(incidentKey(f), first);
    return f;
  });
  return { findings: out, inherited, dropped };
}

export function reconcile(input: {
  cluster: string;
  now: number;
  graceMs: number;
  findings: Finding[];
  evaluated: ReadonlySet<IncidentKind>;
  incidents: WatchIncident[];
  mutes: WatchMute[];
}): Change[] {
  const { cluster, now, mutes } = input;
  const byKey = new Map(input.incidents.map((i) => [incidentKey(i), i]));
  const changes: Change[] = [];
  const seen = new Set<string>();
  const { findings, inherited, dropped } = oneIncidentPerService(input.findings, byKey);
  for (const i of dropped) changes.push({ type: 'drop', incident: i });

  for (const f of findings) {
    const key = incidentKey(f);
    if (seen.has(key)) continue;
    seen.add(key);
    const grace = graceFor(f.kind, input.graceMs, 'open');
    const before = byKey.get(key);
    const heir = inherited.get(key);
    const i: WatchIncident = before
      ? { ...before, name: f.name }
      : { cluster, kind: f.kind, subject: f.subject, name: f.name, status: 'pending', since: heir?.since ?? now, flaps: heir?.flaps ?? 0, detail: f.detail, ...(f.role ? { role: f.role } : {}) };
    if (i.clearSince !== undefined) {
      // back within the grace period: the same incident, one flap more
      delete i.clearSince;
      i.flaps += 1;
    }
    if (i.status === 'pending') {
      i.detail = f.detail;
      changes.push(now - i.since >= grace ? { type: 'open', incident: i, finding: f } : { type: 'track', incident: i });
      continue;
    }
    const muted = mutedBy(i, mutes, now) !== undefined;
    if (!i.ts && !muted) {
      // opened under a mute that has ended, or a post that failed: post it now
      i.detail = f.detail;
      changes.push({ type: 'open', incident: i, finding: f });
      continue;
    }
    // under a mute nothing is said in the thread either; what was not said is said once the mute ends
    const followUp: FollowUp | undefined = muted
      ? undefined
      : i.detail !== f.detail
        ? 'detail'
        : f.kind === 'node-down' && f.drainable && i.flaps >= FLAPPING_AFTER && !i.noted?.includes('flapping')
          ? 'flapping'
          : f.kind === 'node-down' && now - i.since >= DAY_MS && !i.noted?.includes('day')
            ? 'day'
            : undefined;
    if (followUp) {
      const noted = followUp === 'detail' ? i.noted : [...(i.noted ?? []), followUp];
      changes.push({ type: 'follow-up', incident: { ...i, detail: f.detail, ...(noted ? { noted } : {}) }, what: followUp, finding: f });
    }
    else if (before?.clearSince !== undefined || before?.name !== i.name || (i.ts === undefined && i.detail !== f.detail)) {
      changes.push({ type: 'track', incident: { ...i, detail: i.ts ? i.detail : f.detail } });
    }
  }

  for (const [key, i] of byKey) {
    if (seen.has(key) || !input.evaluated.has(i.kind)) continue;
    const clearSince = i.clearSince ?? now;
    if (now - clearSince >= graceFor(i.kind, input.graceMs)) {
      changes.push({ type: i.status === 'open' && i.ts ? 'resolve' : 'drop', incident: i });
    } else if (i.clearSince === undefined) {
      changes.push({ type: 'track', incident: { ...i, clearSince } });
    }
  }
  return changes;
}
