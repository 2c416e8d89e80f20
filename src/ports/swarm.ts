/**
 * The swarm as the actions see it, split by what they need (nodes, networks,
 * tokens, probe, cluster, daemons), and each of those into what reads and what
 * changes. A command that needs approval plans with a `SwarmReader` only: it
 * has no method that changes the swarm, at compile time and at run time.
 */
import type { TokenKind } from '../config/policy.js';
import type { ServicesRead, ServicesWrite } from './services.js';


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
  /**
   * `POST /swarm/unlock` on a locked manager; with `expect`, over a
   * connection pinned to that certificate (the key goes to that daemon or nowhere)
   */
  unlock(url: string, unlockKey: string, expect?: { certFingerprint: string }): Promise<void>;
  /** `POST /swarm/init` with ForceNewCluster on a surviving manager; with `expect`, every call pinned to that certificate */
  forceNewCluster(url: string, advertiseAddr: string, expect?: { certFingerprint: string }): Promise<void>;
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
  /** where a cluster's key is kept, for a person to read ("in the file …"); absent: SSM's `clusters/<name>/unlock-key` */
  where?(cluster: string): string;
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
  services: ServicesRead;
}

export interface Swarm extends SwarmReader {
  cluster: ClusterRead & ClusterWrite;
  daemons: DaemonOps;
  nodes: NodesRead & NodesWrite;
  networks: NetworksRead & NetworksWrite;
  services: ServicesRead & ServicesWrite;
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
  const sv = swarm.services;
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
    services: Object.freeze({ list: sv.list.bind(sv), inspect: sv.inspect.bind(sv), tasks: sv.tasks.bind(sv), logs: sv.logs.bind(sv) }),
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
