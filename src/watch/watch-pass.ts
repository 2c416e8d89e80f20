/**
 * The `watch` function: every cluster whose policy has `watch` is looked at
 * (no agent on the cluster: `/nodes`, and each manager's `/info` when one is
 * missing), compared with what the table kept from the last pass, and its
 * incidents are posted, followed in their threads and resolved.
 *
 * Clusters are looked at in parallel, each within its own deadline, so one
 * slow cluster never delays another. Posts to one channel keep to Slack's
 * ~1 message a second; several incidents of a kind at once become one
 * message; what can't be said before the deadline is said by the next pass
 * (an incident's state only moves on once its message went out). Every
 * event is also a JSON log line.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import { INCIDENT_KINDS, type IncidentStore, type RolloutStore, type SwarmService, type WatchClusterState, type WatchIncident, type WatchMute, type WatchSnapshot } from '../ports.js';
import { followOpenRollouts } from './rollouts.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';
import { signAlertButton } from '../domain/alert-button.js';
import { detect, type Detection } from './detect.js';
import { MINUTE_MS } from '../domain/time-format.js';
import { createObserver } from './observe.js';
import { followUpMessage, groupMessage, incidentMessage, noticeMessage, outsideChangeMessage, resolutionReply, resolvedParent, type SignCommand } from './messages.js';
import { outsideChanges, type OutsideChange } from './outside-changes.js';
import { incidentKey, mutedBy, reconcile, type Change } from './reconcile.js';

/** The EventBridge scheduled event, reduced to what the logs want. */
const ScheduledEvent = z.object({ id: z.string().optional(), time: z.string().optional() }).passthrough();

export interface WatchTiming {
  /** how long one cluster's pass may take, looking and posting (default 45 s; less when the function has less left) */
  budgetMs?: number;
  /** the least time between two posts to one channel (Slack allows about one a second) */
  postIntervalMs?: number;
  /** this many new incidents of one kind in one pass become one message */
  groupAt?: number;
}

export interface WatchDeps extends Pick<SwarmJobDeps, 'policies' | 'credentials' | 'swarmFor' | 'chat' | 'log' | 'clock' | 'claims'> {
  incidents: IncidentStore;
  /** alert buttons are signed with a key derived from the bot token: this function's role may not read the signing secret */
  botToken: () => Promise<string>;
  /** rollouts the worker handed on: followed to their verdict, whatever their cluster */
  rollouts?: RolloutStore;
  timing?: WatchTiming;
}

export interface WatchResult {
  cluster: string;
  outcome: 'checked' | 'skipped' | 'failed';
  /** what went to Slack, in order: "post <title>", "thread <title>", "edit <title>" */
  said: string[];
  /** incidents open (posted or muted) and pending (seen, within the grace period) after the pass */
  open: number;
  pending: number;
  ms: number;
}

/** Left for posting when the look at the swarm is cut short by the deadline. */
const SEND_RESERVE_MS = 5_000;
/** Answering the scheduler and writing the state take a moment at the end of the function. */
const FUNCTION_RESERVE_MS = 5_000;

class Deadline extends Error {}

export function createWatch(deps: WatchDeps) {
  const { log } = deps;
  const observe = createObserver(deps);
  const postIntervalMs = deps.timing?.postIntervalMs ?? 1100;
  const groupAt = deps.timing?.groupAt ?? 4;

  return async (rawEvent?: unknown, invocation?: { remainingMs?: () => number }): Promise<WatchResult[]> => {
    const event = ScheduledEvent.safeParse(rawEvent ?? {});
    const policy = await deps.policies.policy();
    const left = invocation?.remainingMs?.();
    const budget = Math.min(deps.timing?.budgetMs ?? 45_000, left === undefined ? Infinity : left - FUNCTION_RESERVE_MS);
    const deadline = Date.now() + budget;
    const attempt = randomUUID();
    const pace = pacer(postIntervalMs);
    let token: Promise<string> | undefined;
    const botToken = () => (token ??= deps.botToken());
    const watched = Object.entries(policy.clusters).flatMap(([cluster, c]) => (c.watch ? [{ cluster, ...c.watch }] : []));
    log.info('watch pass', { tick: event.success ? event.data.id : undefined, clusters: watched.map((w) => w.cluster), budgetMs: budget });
    const results = await Promise.all(watched.map(pass));
    const rollouts = deps.rollouts;
    if (rollouts) {
      const said = await followOpenRollouts({ ...deps, rollouts, botToken }, deadline).catch((err: unknown) => {
        log.error('following rollouts failed', { error: describeError(err) });
        return [] as string[];
      });
      if (said.length) log.info('rollouts followed', { said });
    }
    return results;

    async function pass(w: { cluster: string; channel: string; graceMinutes: number }): Promise<WatchResult> {
      const started = Date.now();
      const { cluster } = w;
      const result: WatchResult = { cluster, outcome: 'checked', said: [], open: 0, pending: 0, ms: 0 };
      const lease = `watch#${cluster}`;
      try {
        // two passes at once (a delivery repeated, a slow minute) would post twice
        if (!(await deps.claims.claim(lease, attempt, { ttlSeconds: Math.ceil(budget / 1000) + 10, note: 'watch pass' }))) {
          log.info('watch pass skipped: another pass holds the cluster', { cluster });
          return { ...result, outcome: 'skipped' };
        }
        const snapshot = await deps.incidents.load(cluster);
        const now = deps.clock.now().getTime();
        const graceMs = w.graceMinutes * MINUTE_MS;
        const obs = await beforeDeadline(observe(cluster, snapshot.state?.certsCheckedAt, now), deadline - SEND_RESERVE_MS).catch((err: unknown) => {
          if (!(err instanceof Deadline)) throw err;
          return { failure: { code: 'TIMEOUT', message: `no answer within ${Math.round((deadline - SEND_RESERVE_MS - started) / 1000)} s.` } };
        });
        const detection = detect(obs, snapshot.state, { cluster, now, graceMs });
        const changes = reconcile({ cluster, now, graceMs, findings: detection.findings, evaluated: detection.evaluated, incidents: snapshot.incidents, mutes: snapshot.mutes });
        const services = 'services' in obs && obs.services ? obs.services : undefined;
        const kept = await act({
          cluster,
          channel: w.channel,
          now,
          changes,
          detection,
          incidents: snapshot.incidents,
          mutes: snapshot.mutes,
          said: result.said,
          ...(services ? { outside: { services, snapshot, state: detection.state, lastPassAt: snapshot.state?.lastPassAt } } : {}),
        });
        await deps.incidents.putState(detection.state);
        result.open = kept.filter((i) => i.status === 'open').length;
        result.pending = kept.length - result.open;
      } catch (err) {
        log.error('watch pass failed', { cluster, error: describeError(err) });
        result.outcome = 'failed';
      } finally {
        await deps.claims.release(lease, attempt).catch(() => undefined);
      }
      result.ms = Date.now() - started;
      log.info('watch pass done', { cluster, outcome: result.outcome, said: result.said.length, open: result.open, pending: result.pending, ms: result.ms });
      return result;
    }

    /** Sends what the pass decided, and keeps each incident's new state once its message went out. */
    async function act(a: {
      cluster: string;
      channel: string;
      now: number;
      changes: Change[];
      detection: Detection;
      incidents: WatchIncident[];
      mutes: WatchMute[];
      said: string[];
      /** the services seen, against what the table recorded of them: changes made outside swarm-ops */
      outside?: { services: SwarmService[]; snapshot: WatchSnapshot; state: WatchClusterState; lastPassAt: number | undefined };
    }): Promise<WatchIncident[]> {
      const { cluster, channel, now, changes } = a;
      const kept = new Map(a.incidents.map((i) => [incidentKey(i), i]));
      const event = (what: string, i: Pick<WatchIncident, 'kind' | 'subject' | 'name'>, more: Record<string, unknown> = {}) =>
        log.info('watch event', { cluster, event: what, kind: i.kind, subject: i.subject, name: i.name, ...more });
      const keep = async (i: WatchIncident) => {
        await deps.incidents.putIncident(i);
        kept.set(incidentKey(i), i);
      };
      const forget = async (i: WatchIncident) => {
        await deps.incidents.removeIncident(i);
        kept.delete(incidentKey(i));
      };
      let sign: SignCommand | undefined;
      const signer = async (): Promise<SignCommand> => {
        const t = await botToken();
        return (sign ??= (command) => signAlertButton({ command, cluster, channel, now }, t));
      };
      /** one message out, within the deadline and Slack's pace; false when it did not go */
      const say = async (what: 'post' | 'thread' | 'edit', r: Reply, opts: { threadTs?: string; ts?: string } = {}): Promise<string | undefined> => {
        if (Date.now() > deadline) {
          log.warn('watch ran out of time: the rest is said by the next pass', { cluster, title: r.title });
          return undefined;
        }
        try {
          if (what === 'edit') {
            await deps.chat.update(channel, opts.ts!, r);
            a.said.push(`edit ${r.title}`);
            return opts.ts;
          }
          await pace(channel);
          const { ts } = await deps.chat.post(channel, r, opts.threadTs ? { threadTs: opts.threadTs } : {});
          a.said.push(`${what} ${r.title}`);
          return ts;
        } catch (err) {
          log.error('watch could not post to Slack; the next pass tries again', { cluster, title: r.title, error: describeError(err) });
          return undefined;
        }
      };

      for (const c of changes) {
        if (c.type === 'track') {
          await keep(c.incident);
          event('tracked', c.incident, { status: c.incident.status, since: new Date(c.incident.since).toISOString(), flaps: c.incident.flaps, clearing: c.incident.clearSince !== undefined });
        } else if (c.type === 'drop') {
          await forget(c.incident);
          event(c.incident.status === 'open' ? 'resolved (muted, never posted)' : 'cleared within the grace period', c.incident);
        }
      }

      // new incidents, the worst first; a muted one is kept and not posted
      const opens = changes.filter((c): c is Extract<Change, { type: 'open' }> => c.type === 'open').sort((x, y) => rank(x.incident) - rank(y.incident));
      const toPost: Array<Extract<Change, { type: 'open' }>> = [];
      for (const c of opens) {
        const opened: WatchIncident = { ...c.incident, status: 'open', openedAt: c.incident.openedAt ?? now };
        const mute = mutedBy(opened, a.mutes, now);
        if (mute) {
          await keep({ ...opened, muted: true });
          event('muted', opened, { until: new Date(mute.until).toISOString(), by: mute.by });
        } else toPost.push({ ...c, incident: opened });
      }
      for (const group of groupByKind(toPost)) {
        if (group.length >= groupAt) {
          const r = groupMessage(group.map((c) => c.incident), { sign: await signer() });
          const ts = await say('post', r);
          if (!ts) continue;
          for (const c of group) {
            await keep(posted(c.incident, channel, ts, r));
            event('opened', c.incident, { ts, grouped: group.length, text: c.finding.text });
          }
          continue;
        }
        for (const c of group) {
          const r = incidentMessage(c.incident, c.finding, { now, sign: await signer() });
          const ts = await say('post', r);
          if (!ts) continue;
          await keep(posted(c.incident, channel, ts, r));
          event('opened', c.incident, { ts, text: c.finding.text });
        }
      }

      for (const n of a.detection.notices) {
        const about = { kind: n.kind, subject: '-', name: cluster };
        if (mutedBy(about, a.mutes, now)) event('notice muted', about, { from: n.from, to: n.to });
        else if (await say('post', noticeMessage(n, cluster, { sign: await signer() }))) event('notice', about, { from: n.from, to: n.to });
      }

      for (const c of changes) {
        if (c.type !== 'follow-up') continue;
        if (!c.incident.ts) {
          await keep(c.incident);
          continue;
        }
        if (await say('thread', followUpMessage(c.incident, c.finding, c.what, { now, sign: await signer() }), { threadTs: c.incident.ts })) {
          await keep(c.incident);
          event('follow-up', c.incident, { what: c.what, detail: c.incident.detail });
        }
      }

      if (a.outside) await sayOutsideChanges(a.outside);

      // resolutions: one reply per thread; the first message is edited when nothing in its thread is open any more
      const resolved = new Map<string, WatchIncident[]>();
      for (const c of changes) if (c.type === 'resolve') resolved.set(c.incident.ts!, [...(resolved.get(c.incident.ts!) ?? []), c.incident]);
      for (const [ts, group] of resolved) {
        if (!(await say('thread', resolutionReply(group, now), { threadTs: ts }))) continue;
        for (const i of group) {
          await forget(i);
          event('resolved', i, { ts, minutes: Math.round((now - i.since) / MINUTE_MS) });
        }
        if (![...kept.values()].some((i) => i.ts === ts)) await say('edit', resolvedParent(group, now), { ts });
      }
      return [...kept.values()];

      /**
       * Services changed, created or removed outside swarm-ops: each said once,
       * its record written once it is said (what could not be said is said by
       * the next pass); the first pass only records.
       */
      async function sayOutsideChanges(o: NonNullable<typeof a.outside>): Promise<void> {
        const firstPass = o.state.servicesSeenAt === undefined;
        const input = { cluster, now, services: o.services, records: o.snapshot.services, own: o.snapshot.ownChanges, firstPass };
        let found = outsideChanges(input);
        // a note of swarm-ops' own change written after this pass's load still explains a move it saw
        if (found.changes.some((c) => c.type === 'changed')) found = outsideChanges({ ...input, own: await deps.incidents.ownChanges(cluster) });
        if (found.quiet.length) await deps.incidents.putServices(found.quiet);
        for (const id of found.used) await deps.incidents.forgetOwnChange(cluster, id);
        if (firstPass) {
          o.state.servicesSeenAt = now;
          event('services recorded', { kind: 'service-changed', subject: '-', name: cluster }, { services: found.quiet.length });
          return;
        }
        const record = async (c: OutsideChange) => (c.record ? deps.incidents.putServices([c.record]) : deps.incidents.removeServices(cluster, [c.id]));
        const toSay: OutsideChange[] = [];
        for (const c of found.changes) {
          const about = { kind: 'service-changed' as const, subject: c.id, name: c.name };
          if (mutedBy(about, a.mutes, now)) {
            await record(c);
            event('outside change muted', about, { type: c.type });
          } else toSay.push(c);
        }
        const batches = toSay.length >= groupAt ? [toSay] : toSay.map((c) => [c]);
        for (const batch of batches) {
          if (!(await say('post', outsideChangeMessage(batch, cluster, { ...(o.lastPassAt !== undefined ? { since: o.lastPassAt } : {}), sign: await signer() })))) continue;
          for (const c of batch) {
            await record(c);
            event('outside change', { kind: 'service-changed', subject: c.id, name: c.name }, { type: c.type, what: c.lines });
          }
        }
      }
    }
  };
}

const rank = (i: Pick<WatchIncident, 'kind'>) => INCIDENT_KINDS.indexOf(i.kind);

function groupByKind<T extends { incident: WatchIncident }>(changes: T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const c of changes) groups.set(c.incident.kind, [...(groups.get(c.incident.kind) ?? []), c]);
  return [...groups.values()];
}

/** An incident as kept once its message is out: where it is, and what it said (for the edit on resolution). */
function posted(i: WatchIncident, channel: string, ts: string, r: Reply): WatchIncident {
  const first = r.parts.find((p) => p.kind === 'text');
  const { muted: _, ...rest } = i;
  return { ...rest, channel, ts, title: r.title, ...(first?.kind === 'text' ? { text: first.text } : {}) };
}

function beforeDeadline<T>(work: Promise<T>, at: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deadline()), Math.max(0, at - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Slack takes about one message a second per channel: posts to one channel wait their turn. */
function pacer(intervalMs: number): (channel: string) => Promise<void> {
  const last = new Map<string, Promise<number>>();
  return async (channel) => {
    const mine = (last.get(channel) ?? Promise.resolve(0)).then(async (at) => {
      const wait = at + intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return Date.now();
    });
    last.set(channel, mine);
    await mine;
  };
}

