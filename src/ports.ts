/**
 * The narrow ports the application owns. Adapters in src/adapters implement
 * them; actions and the worker see only these shapes.
 */
import type { Policy, TokenKind } from './config/policy.js';
import type { SlackMessage } from './render/block-kit.js';

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
  manager?: { leader: boolean; reachability: Reachability; addr: string };
  /** Version.Index, needed to update the node */
  version: number;
}

export interface DaemonInfo {
  endpoint: string;
  name: string;
  nodeId: string;
  /** inactive | pending | active | error | locked */
  localState: string;
  controlAvailable: boolean;
  error: string;
  managers: number;
  nodes: number;
  remoteManagers: Array<{ nodeId: string; addr: string }>;
  /** expiry of the swarm's root CA, when the daemon reports it */
  caExpiresAt?: Date;
  /** expiry of the daemon's own TLS certificate (the one the bot talks to) */
  apiCertExpiresAt?: Date;
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

export interface SwarmPort {
  /** the manager endpoint that answered the last call */
  readonly activeEndpoint: string | undefined;
  listNodes(): Promise<SwarmNode[]>;
  /** `/info` of the first manager that answers */
  info(): Promise<DaemonInfo>;
  /** `/info` of every configured manager endpoint, in parallel, each with a short time limit */
  probeManagers(): Promise<InfoProbe[]>;
  /** every network the answering manager knows: swarm-scoped ones and its local ones */
  listNetworks(): Promise<SwarmNetwork[]>;

  /**
   * Rotates join tokens (re-reading and retrying when Docker says the update
   * was out of sequence) and reports which of them really changed. Tokens
   * never leave the adapter.
   */
  rotateJoinTokens(kinds: TokenKind[]): Promise<{ rotated: TokenKind[] }>;
  /** `/info` of a daemon that is not (yet) part of the swarm, with the cluster's client certificate */
  inspectDaemon(url: string): Promise<DaemonInfo>;
  /**
   * Joins the daemon at `url` to the swarm with a token read from a manager,
   * then waits until the node is Ready. The token is never returned.
   */
  joinNode(req: JoinRequest): Promise<SwarmNode>;
  /**
   * Records that an operation keyed `key` has started, in the swarm itself
   * (a config object: Raft-replicated, names unique). False when it was
   * recorded before, i.e. this is a repeated delivery.
   */
  claimOperation(op: OperationClaim): Promise<boolean>;

  /** approval requests waiting for a decision, kept in the swarm so that expiry can be noticed without a click */
  recordPending(p: PendingApproval): Promise<void>;
  pendingApprovals(): Promise<PendingApproval[]>;
  forgetPending(id: string): Promise<void>;

  createOverlay(spec: OverlaySpec): Promise<SwarmNetwork>;
  removeNetwork(id: string): Promise<void>;
  /** who uses a network across the swarm */
  networkUsage(id: string): Promise<NetworkUsage>;
  /** changes a node's role or availability (re-reading and retrying when out of sequence) */
  updateNode(id: string, change: { role?: NodeRole; availability?: Availability }): Promise<void>;

  /** a short-lived global service (the overlay probe) */
  createGlobalService(spec: GlobalServiceSpec): Promise<string>;
  serviceTasks(serviceId: string): Promise<ServiceTask[]>;
  serviceLogs(serviceId: string): Promise<string>;
  removeService(serviceId: string): Promise<void>;
  /** services carrying a label, e.g. probes left by a run that died */
  servicesLabelled(label: string): Promise<Array<{ id: string; name: string; createdAt: Date }>>;
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

export interface OperationClaim {
  /** what is done, e.g. `rotate-<request id>` */
  key: string;
  /** this delivery of the job: a claim made earlier by the same attempt (a write that timed out) is still ours */
  attempt: string;
  description: string;
}

export interface JoinRequest {
  url: string;
  role: NodeRole;
  advertiseAddr?: string;
  dataPathAddr?: string;
  /** how long to wait for the node to show up Ready */
  readyTimeoutMs?: number;
}

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

export type ResponseMessage = SlackMessage & {
  response_type?: 'in_channel' | 'ephemeral';
  replace_original?: boolean;
};

export interface ChatPort {
  /** POST to an interaction's response_url */
  respond(responseUrl: string, message: ResponseMessage): Promise<void>;
  postMessage(channel: string, message: SlackMessage): Promise<{ ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
}

export interface JobQueue {
  enqueue(job: unknown): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export type { TokenKind };
