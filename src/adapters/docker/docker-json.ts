/** Docker's JSON, reduced to what swarm-ops reads, and mapped to our own models. */
import { X509Certificate } from 'node:crypto';
import { redactSecrets } from '../../errors.js';
import type { ClusterInfo, DaemonInfo, NodeState, SwarmNetwork, SwarmNode } from '../../ports.js';

export interface DockerTask {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string };
  NetworksAttachments?: Array<{ Network?: { Spec?: { Ingress?: boolean } }; Addresses?: string[] }> | null;
}

/** Docker multiplexes stdout and stderr of a non-TTY log stream into 8-byte-headed frames. */
export function demuxDockerStream(buf: Buffer): string {
  const framed = buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return buf.toString('utf8');
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}

/** Who issued a certificate: base64 (DER) strings, kept as Docker gives them so that they compare as they are. */
export interface DockerTlsInfo {
  TrustRoot?: string;
  CertIssuerSubject?: string;
  CertIssuerPublicKey?: string;
}

/** The swarm's Spec: sent back whole on every update, so everything not named here is kept as it came. */
export interface DockerClusterSpec {
  /** `NodeCertExpiry` is a Go duration: nanoseconds */
  CAConfig?: { NodeCertExpiry?: number; ForceRotate?: number; [key: string]: unknown };
  EncryptionConfig?: { AutoLockManagers?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

/** `GET /swarm` */
export interface DockerSwarmSpec {
  ID?: string;
  CreatedAt?: string;
  Version: { Index: number };
  Spec: DockerClusterSpec;
  JoinTokens?: { Worker?: string; Manager?: string };
  TLSInfo?: DockerTlsInfo;
  RootRotationInProgress?: boolean;
}

export interface DockerNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: {
    Hostname?: string;
    Platform?: { OS?: string };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string> };
    TLSInfo?: DockerTlsInfo;
  };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

const issuerOf = (tls: DockerTlsInfo | undefined) =>
  tls?.CertIssuerSubject || tls?.CertIssuerPublicKey ? { subject: tls.CertIssuerSubject ?? '', publicKey: tls.CertIssuerPublicKey ?? '' } : undefined;

export function toSwarmNode(n: DockerNode): SwarmNode {
  const state = (n.Status?.State ?? 'unknown') as NodeState;
  const tlsIssuer = issuerOf(n.Description?.TLSInfo);
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID.slice(0, 12),
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state,
    availability: (n.Spec?.Availability ?? 'active') as SwarmNode['availability'],
    addr: n.Status?.Addr ?? '',
    engineVersion: n.Description?.Engine?.EngineVersion ?? 'unknown',
    os: n.Description?.Platform?.OS ?? 'unknown',
    labels: { ...(n.Description?.Engine?.Labels ?? {}), ...(n.Spec?.Labels ?? {}) },
    nodeLabels: { ...(n.Spec?.Labels ?? {}) },
    ...(n.ManagerStatus
      ? {
          manager: {
            leader: Boolean(n.ManagerStatus.Leader),
            reachability: (n.ManagerStatus.Reachability ?? 'unknown') as 'reachable' | 'unreachable' | 'unknown',
            addr: n.ManagerStatus.Addr ?? '',
          },
        }
      : {}),
    version: n.Version?.Index ?? 0,
    ...(tlsIssuer ? { tlsIssuer } : {}),
  };
}

/** swarmkit's default node certificate period when the Spec does not say */
const DEFAULT_NODE_CERT_MS = 90 * 24 * 3600 * 1000;

/** Built field by field: the join tokens in the same answer never reach the model. */
export function toClusterInfo(raw: DockerSwarmSpec): ClusterInfo {
  const ca = raw.Spec?.CAConfig ?? {};
  const createdAt = timeOf(raw.CreatedAt);
  const expiryNs = ca.NodeCertExpiry;
  return {
    id: raw.ID ?? '',
    ...(createdAt ? { createdAt } : {}),
    rootCaPem: raw.TLSInfo?.TrustRoot ?? '',
    tlsIssuer: { subject: raw.TLSInfo?.CertIssuerSubject ?? '', publicKey: raw.TLSInfo?.CertIssuerPublicKey ?? '' },
    rootRotationInProgress: Boolean(raw.RootRotationInProgress),
    nodeCertPeriodMs: typeof expiryNs === 'number' && expiryNs > 0 ? Math.round(expiryNs / 1e6) : DEFAULT_NODE_CERT_MS,
    forceRotate: ca.ForceRotate ?? 0,
    autolock: Boolean(raw.Spec?.EncryptionConfig?.AutoLockManagers),
  };
}

export interface DockerInfo {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  OSType?: string;
  SystemTime?: string;
  Swarm?: {
    NodeID?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    Error?: string;
    Managers?: number;
    Nodes?: number;
    RemoteManagers?: Array<{ NodeID: string; Addr: string }> | null;
    Cluster?: { ID?: string; TLSInfo?: { TrustRoot?: string } };
  };
}

function certExpiry(pem: string | undefined): Date | undefined {
  if (!pem) return undefined;
  try {
    return new Date(new X509Certificate(pem).validTo);
  } catch {
    return undefined;
  }
}

function timeOf(text: string | undefined): Date | undefined {
  const t = text ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** `tls`: the daemon's own certificate, as seen on the connection that read `raw` */
export function toDaemonInfo(endpoint: string, raw: DockerInfo, tls: { expiresAt?: Date; fingerprint?: string } = {}): DaemonInfo {
  const s = raw.Swarm ?? {};
  const caExpiresAt = certExpiry(s.Cluster?.TLSInfo?.TrustRoot);
  const systemTime = timeOf(raw.SystemTime);
  return {
    endpoint,
    name: raw.Name ?? '',
    nodeId: s.NodeID ?? '',
    ...(s.Cluster?.ID ? { clusterId: s.Cluster.ID } : {}),
    engineId: raw.ID ?? '',
    engineVersion: raw.ServerVersion ?? 'unknown',
    os: raw.OSType ?? 'unknown',
    localState: s.LocalNodeState ?? 'inactive',
    controlAvailable: Boolean(s.ControlAvailable),
    error: redactSecrets(s.Error ?? ''),
    managers: s.Managers ?? 0,
    nodes: s.Nodes ?? 0,
    remoteManagers: (s.RemoteManagers ?? []).map((m) => ({ nodeId: m.NodeID, addr: m.Addr })),
    ...(systemTime ? { systemTime } : {}),
    ...(caExpiresAt ? { caExpiresAt } : {}),
    ...(tls.expiresAt ? { apiCertExpiresAt: tls.expiresAt } : {}),
    ...(tls.fingerprint ? { apiCertFingerprint: tls.fingerprint } : {}),
  };
}

export interface DockerNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  Attachable?: boolean;
  Ingress?: boolean;
  Internal?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null };
}

export function toSwarmNetwork(n: DockerNetwork): SwarmNetwork {
  return {
    id: n.Id,
    name: n.Name,
    driver: n.Driver ?? '',
    scope: n.Scope ?? '',
    attachable: Boolean(n.Attachable),
    ingress: Boolean(n.Ingress),
    internal: Boolean(n.Internal),
    encrypted: Object.hasOwn(n.Options ?? {}, 'encrypted'),
    subnets: (n.IPAM?.Config ?? [])
      .filter((c) => c.Subnet)
      .map((c) => ({ subnet: c.Subnet!, ...(c.Gateway ? { gateway: c.Gateway } : {}) })),
    labels: n.Labels ?? {},
  };
}
