/**
 * The narrow ports the application owns. Adapters in src/adapters implement
 * them; actions and the worker see only these shapes.
 *
 * The swarm is split by what the actions need (nodes, networks, tokens,
 * probe), and each of those into what reads and what changes. A command
 * that needs approval plans with a `SwarmReader` only: it has no method that
 * changes the swarm, at compile time and at run time.
 */
import type { Policy, TokenKind } from './config/policy.js';
import type { Attachment, Reply } from './domain/reply.js';
import type { AuditEvent, Job } from './jobs.js';

export type NodeRole = 'manager' | 'worker';
export type NodeState = 'ready' | 'down' | 'unknown' | 'disconnected';
export type Availability = 'active' | 'pause' | 'drain';
export type Reachability = 'reachable' | 'unreachable' | 'unknown';

export interface SwarmNode {
  id: string;
  hostname: string;
  role: NodeRole;
  state: NodeState;
  availability: Availability;
  addr: string;
  engineVersion: string;
  os: string;
  /** node labels (Spec.Labels) merged over engine labels */
  labels: Record<string, string>;
  /** node labels only (Spec.Labels): what `/swarm label` changes */
  nodeLabels: Record<string, string>;
  manager?: { leader: boolean; reachability: Reachability; addr: string };
  /** Version.Index, needed to update the node */
  version: number;
  /** who issued the node's TLS certificate (Description.TLSInfo): compared with the swarm's during a CA rotation */
  tlsIssuer?: { subject: string; publicKey: string };
}

/** `GET /swarm`: the cluster-wide settings the lifecycle commands read. Never holds a token or key. */
export interface ClusterInfo {
  id: string;
  createdAt?: Date;
  /** the root CA certificate (PEM) all nodes trust */
  rootCaPem: string;
  /** the issuer every node's certificate should carry once a CA rotation is done */
  tlsIssuer: { subject: string; publicKey: string };
  rootRotationInProgress: boolean;
  /** `Spec.CAConfig.NodeCertExpiry` in ms (Docker's default is 90 days) */
  nodeCertPeriodMs: number;
  /** `Spec.CAConfig.ForceRotate` */
  forceRotate: number;
  autolock: boolean;
}

export interface DaemonInfo {
  endpoint: string;
  name: string;
  nodeId: string;
  /** the swarm this daemon belongs to (`Swarm.Cluster.ID`), when it is in one and a manager */
  clusterId?: string;
  /** the engine's own ID (`/info` ID), stable for the daemon, set before it joins any swarm */
  engineId: string;
  /** inactive | pending | active | error | locked */
  localState: string;
  controlAvailable: boolean;
  error: string;
  managers: number;
  nodes: number;
  remoteManagers: Array<{ nodeId: string; addr: string }>;
  engineVersion: string;
  os: string;
  /** the daemon's clock (`SystemTime`), when it reports it */
  systemTime?: Date;
  /** expiry of the swarm's root CA, when the daemon reports it */
  caExpiresAt?: Date;
  /** expiry of the daemon's own TLS certificate (the one the bot talks to) */
  apiCertExpiresAt?: Date;
  /** SHA-256 fingerprint (hex) of the daemon's TLS certificate, as seen on this connection */
  apiCertFingerprint?: string;
}

export interface InfoProbe {
  endpoint: string;
  info?: DaemonInfo;
  /** the daemon answered `/_ping` even if `/info` did not (a manager whose swarm calls hang without a leader) */
  daemonUp?: boolean;
  /** why the endpoint did not answer, safe to show */
  error?: string;
}

export interface SwarmNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  attachable: boolean;
  ingress: boolean;
  internal: boolean;
  encrypted: boolean;
  subnets: Array<{ subnet: string; gateway?: string }>;
  labels: Record<string, string>;
}

// ---- the swarm, by concern -------------------------------------------------

export interface NodesRead {
  list(): Promise<SwarmNode[]>;
  /** `/info` of the first manager that answers */
  info(): Promise<DaemonInfo>;
  /** `/info` of every configured manager endpoint, in parallel, each with a short time limit */
  probeManagers(): Promise<InfoProbe[]>;
  /** `/info` of a daemon that is not (yet) part of the swarm, with the cluster's client certificate */
  inspectDaemon(url: string): Promise<DaemonInfo>;
}

export interface NodeChange {
  role?: NodeRole;
  availability?: Availability;
  /** the node's labels (Spec.Labels) after the change, in full */
  labels?: Record<string, string>;
}

export interface NodesWrite {
  /** `DELETE /nodes/{id}`; without `force` Docker refuses a node that is not down */
  remove(id: string, opts: { force: boolean }): Promise<void>;
  /** changes a node (re-reading and retrying when out of sequence; a change already in place is not sent) */
  update(id: string, change: NodeChange): Promise<void>;
  /**
   * Joins the daemon at `url` with a token read from a manager, then waits
   * until the node is Ready. The token never leaves the adapter.
   */
  join(req: JoinRequest): Promise<SwarmNode>;
}

export interface NetworksRead {
  /** every network the answering manager knows: swarm-scoped ones and its local ones */
  list(): Promise<SwarmNetwork[]>;
  /** who uses a network across the swarm */
  usage(id: string): Promise<NetworkUsage>;
}

export interface NetworksWrite {
  createOverlay(spec: OverlaySpec): Promise<SwarmNetwork>;
  remove(id: string): Promise<void>;
}

export interface TokensWrite {
  /**
   * Rotates join tokens (re-reading and retrying when Docker says the update
   * was out of sequence) and reports which really changed.
   */
  rotate(kinds: TokenKind[]): Promise<{ rotated: TokenKind[] }>;
}

export interface ClusterRead {
  inspect(): Promise<ClusterInfo>;
}

export interface ClusterWrite {
  /** starts a root CA rotation (`Spec.CAConfig.ForceRotate` + 1) */
  rotateCa(): Promise<void>;
  /** turns autolock on or off (`Spec.EncryptionConfig.AutoLockManagers`) */
  setAutolock(on: boolean): Promise<void>;
  /** `?rotateManagerUnlockKey=true` (autolock must be on) */
  rotateUnlockKey(): Promise<void>;
  /** `GET /swarm/unlockkey`: a secret, for the unlock-key store only, never for a reply or a log */
  unlockKey(): Promise<string>;
}

/** Calls to one daemon's own API (not through the managers): unlock, recover, leave, preflight. */
export interface DaemonOps {
  /** `POST /swarm/unlock` on a locked manager */
  unlock(url: string, unlockKey: string): Promise<void>;
  /** `POST /swarm/init` with ForceNewCluster on a surviving manager */
  forceNewCluster(url: string, advertiseAddr: string): Promise<void>;
  /** `POST /swarm/leave?force=…` */
  leave(url: string, force: boolean): Promise<void>;
  /** whether the daemon has an image locally */
  hasImage(url: string, image: string): Promise<boolean>;
  /**
   * A short-lived container on that daemon (host network, removed
   * afterwards), e.g. the join preflight's port checks: its exit code and
   * output.
   */
  runOnce(url: string, spec: { image: string; cmd: string[]; timeoutMs: number }): Promise<{ exitCode: number; output: string }>;
}

/** Where the unlock key is kept (SSM `clusters/<name>/unlock-key`): never shown. */
export interface UnlockKeyStore {
  put(cluster: string, key: string): Promise<void>;
  get(cluster: string): Promise<string | undefined>;
}

/** A short-lived global service (the overlay probe). */
export interface ProbeServices {
  create(spec: GlobalServiceSpec): Promise<string>;
  tasks(serviceId: string): Promise<ServiceTask[]>;
  logs(serviceId: string): Promise<string>;
  remove(serviceId: string): Promise<void>;
  /** services carrying a label, e.g. probes left by a run that died */
  labelled(label: string): Promise<Array<{ id: string; name: string; createdAt: Date }>>;
}

/** What a plan (and every read-only command) may touch. */
export interface SwarmReader {
  /** the manager endpoint that answered the last call */
  readonly activeEndpoint: string | undefined;
  cluster: ClusterRead;
  nodes: NodesRead;
  /**
   * A join target's own daemon, before it is in the swarm: the preflight's
   * short-lived container runs there, never on the swarm.
   */
  targets: Pick<DaemonOps, 'hasImage' | 'runOnce'>;
  networks: NetworksRead;
}

export interface Swarm extends SwarmReader {
  cluster: ClusterRead & ClusterWrite;
  daemons: DaemonOps;
  nodes: NodesRead & NodesWrite;
  networks: NetworksRead & NetworksWrite;
  tokens: TokensWrite;
  probe: ProbeServices;
  /** Docker configs an earlier version of the bot kept in the swarm (`swarm-ops.op.*`, `swarm-ops.pending.*`) */
  legacyState: LegacyState;
}

export interface LegacyState {
  list(): Promise<Array<{ id: string; name: string }>>;
  remove(id: string): Promise<void>;
}

/** A reader that is only a reader at run time too: no write method is reachable through it. */
export function readOnly(swarm: SwarmReader): SwarmReader {
  const { list, info, probeManagers, inspectDaemon } = swarm.nodes;
  const n = swarm.networks;
  const c = swarm.cluster;
  return Object.freeze({
    get activeEndpoint() {
      return swarm.activeEndpoint;
    },
    cluster: Object.freeze({ inspect: (...a: Parameters<ClusterRead['inspect']>) => c.inspect(...a) }),
    targets: Object.freeze({
      hasImage: (...a: Parameters<DaemonOps['hasImage']>) => swarm.targets.hasImage(...a),
      runOnce: (...a: Parameters<DaemonOps['runOnce']>) => swarm.targets.runOnce(...a),
    }),
    nodes: Object.freeze({
      list: list.bind(swarm.nodes),
      info: info.bind(swarm.nodes),
      probeManagers: probeManagers.bind(swarm.nodes),
      inspectDaemon: inspectDaemon.bind(swarm.nodes),
    }),
    networks: Object.freeze({ list: n.list.bind(n), usage: n.usage.bind(n) }),
  });
}

export interface OverlaySpec {
  name: string;
  encrypted: boolean;
  attachable: boolean;
  subnet?: string;
  gateway?: string;
  labels?: Record<string, string>;
}

export interface NetworkUsage {
  services: string[];
  /** running tasks and standalone containers attached */
  containers: number;
}

export interface GlobalServiceSpec {
  name: string;
  image: string;
  networkId: string;
  command: string[];
  env: string[];
  labels: Record<string, string>;
}

export interface ServiceTask {
  id: string;
  nodeId: string;
  state: string;
  desiredState: string;
  /** the task's addresses on the service's network, without prefix length */
  addresses: string[];
  error?: string;
}

export interface JoinRequest {
  url: string;
  role: NodeRole;
  advertiseAddr?: string;
  dataPathAddr?: string;
  /** how long to wait for the node to show up Ready */
  readyTimeoutMs?: number;
  /** the daemon the approver saw: checked on the connection the token is sent over, just before sending */
  expect?: { engineId: string; certFingerprint?: string | undefined };
}

// ---- state (the bot's own table; nothing of it lives in the swarm) --------

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

/** What the watch alerts on; `leader-changed` is a notice (posted once, never open), the others are incidents. */
export const INCIDENT_KINDS = [
  'cluster-unreachable',
  'quorum-lost',
  'manager-locked',
  'quorum-at-risk',
  'manager-unreachable',
  'node-down',
  'ca-rotation-stuck',
  'cert-expiring',
  'node-drained',
  'leader-changed',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** One incident per (cluster, kind, subject), from the first sighting of its condition until it is resolved. */
export interface WatchIncident {
  cluster: string;
  kind: IncidentKind;
  /** what it is about: a node ID, a manager endpoint, a certificate, or `-` for the whole cluster */
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

/** `/swarm watch mute`: incidents of a kind, or of a node, are tracked but not posted until `until`. */
export interface WatchMute {
  cluster: string;
  /** the key: a kind, or a node's hostname (lower case) */
  target: string;
  kind?: IncidentKind;
  nodeId?: string;
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
}

export interface WatchSnapshot {
  incidents: WatchIncident[];
  /** mutes in force (ended ones are left out) */
  mutes: WatchMute[];
  state?: WatchClusterState;
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
}

// ---- configuration ---------------------------------------------------------

export interface ClusterCredentials {
  endpoints: string[];
  ca: string;
  cert: string;
  key: string;
}

export interface CredentialStore {
  clusterCredentials(cluster: string): Promise<ClusterCredentials>;
  /** forget cached credentials, e.g. after a TLS failure */
  invalidate(cluster: string): void;
}

export interface PolicyStore {
  policy(): Promise<Policy>;
}

export interface SlackSecrets {
  signingSecret: string;
  botToken: string;
  botUserId: string;
}

// ---- Slack and Lambda ------------------------------------------------------

/** Slack, spoken in replies: the adapter renders them to Block Kit. */
export interface ChatPort {
  /** POST to an interaction's response_url; `in_channel` or `ephemeral` from the reply */
  respond(responseUrl: string, reply: Reply, opts?: { replaceOriginal?: boolean }): Promise<void>;
  post(channel: string, reply: Reply, opts?: { threadTs?: string }): Promise<{ ts: string }>;
  update(channel: string, ts: string, reply: Reply): Promise<void>;
  /** uploads a file (e.g. a PNG) into a channel, or a thread in it (files.uploadV2; scope files:write) */
  upload(channel: string, file: Attachment, opts?: { threadTs?: string }): Promise<void>;
}

export interface JobQueue {
  enqueue(job: Job): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export type { TokenKind };
