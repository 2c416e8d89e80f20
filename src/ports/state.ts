/** The bot's own state: claims, approvals, audit history, the watch's incidents (one DynamoDB table). */
import type { AuditEvent } from '../jobs.js';
import type { NodeRole } from './swarm.js';

/** First writer wins: a decision, a scheduled tick, anything that must happen once. */
export interface Claims {
  /**
   * True when this call took `key` (or `owner` had taken it before: our own
   * retried write); false when someone else holds it.
   */
  claim(key: string, owner: string, opts?: { ttlSeconds?: number; note?: string }): Promise<boolean>;
  /** who holds `key` now (an expired claim is no one's) */
  holder(key: string): Promise<{ owner: string; note?: string } | undefined>;
  /** gives `key` up, if `owner` holds it */
  release(key: string, owner: string): Promise<void>;
}

/** Counts across invocations (e.g. refusals posted per channel and minute); the count after this call. */
export interface Counters {
  increment(key: string, ttlSeconds: number): Promise<number>;
}

/** A job delivered twice acts once: Lambda's async invoke is at-least-once. */
export interface JobLedger {
  /**
   * Runs `work` unless a job with this key ran before ('repeat') or is
   * running right now ('in-progress'); then `work` is not run at all.
   */
  once(key: string, work: () => Promise<void>, invocation?: { lambdaContext?: unknown }): Promise<'ran' | 'repeat' | 'in-progress'>;
}

export interface PendingApproval {
  /** the request id */
  id: string;
  cluster: string;
  channel: string;
  /** the approval message */
  ts: string;
  /** expiry, ms since the epoch */
  exp: number;
  text: string;
  requester: string;
}

/** Approval requests waiting for a decision, so that one nobody answers is still closed when it expires. */
export interface PendingApprovals {
  record(p: PendingApproval): Promise<void>;
  /** requests whose expiry is at or before `now` (found without a full scan) */
  due(now: Date): Promise<PendingApproval[]>;
  forget(id: string): Promise<void>;
}

export interface AuditQuery {
  since: Date;
  cluster?: string;
  user?: string;
  limit: number;
}

/** Every audited event, kept for `/swarm audit`. */
export interface AuditHistory {
  append(event: AuditEvent, retentionDays: number): Promise<void>;
  /** newest first */
  query(q: AuditQuery): Promise<AuditEvent[]>;
}

// ---- the watch: incidents and mutes, in the bot's table ---------------------

/**
 * What the watch alerts on; `leader-changed` and `service-changed` (a change
 * made outside swarm-ops) are notices (posted once, never open), the others
 * are incidents. The `service-*` incidents are about one service (subject: its ID).
 */
export const INCIDENT_KINDS = [
  'cluster-unreachable',
  'quorum-lost',
  'manager-locked',
  'quorum-at-risk',
  'manager-unreachable',
  'node-down',
  'service-rollout',
  'service-crash-loop',
  'service-unschedulable',
  'service-replicas',
  'ca-rotation-stuck',
  'cert-expiring',
  'node-drained',
  'leader-changed',
  'service-changed',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** One incident per (cluster, kind, subject), from the first sighting of its condition until it is resolved. */
export interface WatchIncident {
  cluster: string;
  kind: IncidentKind;
  /** what it is about: a node ID, a service ID, a manager endpoint, a certificate, or `-` for the whole cluster */
  subject: string;
  /** how it reads: a hostname, an endpoint, a certificate's name */
  name: string;
  role?: NodeRole;
  /** pending: seen, but not yet for the grace period (nothing posted); open: posted, or tracked under a mute */
  status: 'pending' | 'open';
  /** when the condition was first seen (ms); a flap within the grace period keeps it */
  since: number;
  openedAt?: number;
  /** the condition has been gone since (ms): resolved once that lasts the grace period */
  clearSince?: number;
  /** how often the condition came back within the grace period */
  flaps: number;
  /** the facts that matter ("1/3 reachable"): a change is posted in the thread */
  detail: string;
  /** the incident's message: its channel and ts, and what it said (to edit it on resolution) */
  channel?: string;
  ts?: string;
  title?: string;
  text?: string;
  /** opened while muted: tracked, not posted */
  muted?: boolean;
  /** follow-ups already posted in the thread (`flapping`, `day`) */
  noted?: string[];
}

/** `/swarm watch mute`: incidents of a kind, of a node or of a service, are tracked but not posted until `until`. */
export interface WatchMute {
  cluster: string;
  /** the key: a kind, a node's hostname or a service's name (lower case) */
  target: string;
  kind?: IncidentKind;
  nodeId?: string;
  serviceId?: string;
  /** ms since the epoch */
  until: number;
  by: string;
  at: number;
}

/** What one watch pass leaves for the next about a cluster. */
export interface WatchClusterState {
  cluster: string;
  leader?: { id: string; hostname: string };
  /** when a new leader was first seen: nodes showing `unknown` shortly after are not down */
  leaderChangedAt?: number;
  /** certificates are checked at most daily */
  certsCheckedAt?: number;
  /** when a root CA rotation was first seen in progress */
  rotationSince?: number;
  lastPassAt?: number;
  /** when the services were first recorded: before that, nothing is said about changes made outside swarm-ops */
  servicesSeenAt?: number;
}

/**
 * What the watch last saw of a service's spec (one item per service, written
 * only when it changed): enough to say what changed outside swarm-ops.
 * Environment variable names only, never values.
 */
export interface WatchServiceRecord {
  cluster: string;
  id: string;
  name: string;
  fingerprint: string;
  image: string;
  /** replicated: the count; absent for a global service */
  replicas?: number;
  mode: string;
  envNames: string[];
  /** "8080:80/tcp" */
  ports: string[];
  constraints: string[];
  forceUpdate: number;
  /** when the watch recorded this spec (ms) */
  seenAt: number;
}

/**
 * A change swarm-ops itself is about to make to a service (a rollout, a
 * scale, a Roll back click), written before the change is sent: the watch
 * takes the next spec change of that service as the bot's own, not as a
 * change made outside.
 */
export interface WatchOwnChange {
  cluster: string;
  serviceId: string;
  requestId: string;
  /** ms since the epoch */
  at: number;
  /** after this (ms) the note counts for nothing */
  until: number;
}

export interface WatchSnapshot {
  incidents: WatchIncident[];
  /** mutes in force (ended ones are left out) */
  mutes: WatchMute[];
  state?: WatchClusterState;
  /** the services' last recorded specs */
  services: WatchServiceRecord[];
  /** changes swarm-ops noted it is making (still in force) */
  ownChanges: WatchOwnChange[];
}

/** The watch's memory between passes, and what `/swarm watch` shows. */
export interface IncidentStore {
  /** a cluster's incidents, mutes and last state, in one query */
  load(cluster: string): Promise<WatchSnapshot>;
  putIncident(incident: WatchIncident): Promise<void>;
  removeIncident(key: Pick<WatchIncident, 'cluster' | 'kind' | 'subject'>): Promise<void>;
  putState(state: WatchClusterState): Promise<void>;
  putMute(mute: WatchMute): Promise<void>;
  /** false when there was no such mute */
  removeMute(cluster: string, target: string): Promise<boolean>;
  /** records services' specs (a batch: the first pass records every service) */
  putServices(records: WatchServiceRecord[]): Promise<void>;
  removeServices(cluster: string, ids: string[]): Promise<void>;
  /** swarm-ops is about to change a service: written before the change is sent */
  noteOwnChange(change: WatchOwnChange): Promise<void>;
  /** the notes in force, read again after a pass saw specs move (a note written after the pass's load still counts) */
  ownChanges(cluster: string): Promise<WatchOwnChange[]>;
  forgetOwnChange(cluster: string, serviceId: string): Promise<void>;
}

/**
 * A rollout the worker stopped following before its verdict: the watch
 * function carries it on and edits the same message until the verdict.
 */
export interface OpenRollout {
  cluster: string;
  serviceId: string;
  serviceName: string;
  op: 'scale' | 'restart' | 'image' | 'rollback';
  /** "image `app:1.4.1` → `app:1.4.2`" */
  what: string;
  requestId: string;
  requester: string;
  /** the message that is edited */
  channel: string;
  ts: string;
  /** its title, kept as it is */
  title: string;
  startedAt: number;
  /** the progress line last shown, so that an unchanged rollout is not edited again */
  lastText?: string;
}

export interface RolloutStore {
  /** every open rollout, whatever its cluster: one query */
  open(): Promise<OpenRollout[]>;
  /** records (or replaces) the open rollout of a service */
  put(r: OpenRollout): Promise<void>;
  close(cluster: string, serviceId: string): Promise<void>;
}
