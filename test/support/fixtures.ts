/** Fixture builders for our own port models, and a fake SwarmPort for action unit tests. */
import type { PendingApproval, Availability, DaemonInfo, GlobalServiceSpec, InfoProbe, JoinRequest, NodeRole, OverlaySpec, ServiceTask, SwarmNetwork, SwarmNode, SwarmPort, TokenKind } from '../../src/ports.js';
import { SwarmError } from '../../src/errors.js';

export function manager(hostname: string, over: Partial<SwarmNode> & { leader?: boolean; reachability?: 'reachable' | 'unreachable' | 'unknown' } = {}): SwarmNode {
  const { leader = false, reachability = 'reachable', ...rest } = over;
  const i = hostname.replace(/\D/g, '') || '1';
  return {
    id: `${hostname.replace(/\W/g, '')}id0000000000000000`.slice(0, 25),
    hostname,
    role: 'manager',
    state: reachability === 'reachable' ? 'ready' : 'down',
    availability: 'active',
    addr: `10.0.0.${i}`,
    engineVersion: '20.10.24',
    os: 'linux',
    labels: {},
    manager: { leader, reachability, addr: `10.0.0.${i}:2377` },
    version: 10,
    ...rest,
  };
}

export function worker(hostname: string, over: Partial<SwarmNode> = {}): SwarmNode {
  const i = hostname.replace(/\D/g, '') || '1';
  return {
    id: `${hostname.replace(/\W/g, '')}id0000000000000000`.slice(0, 25),
    hostname,
    role: 'worker',
    state: 'ready',
    availability: 'active',
    addr: `10.0.1.${i}`,
    engineVersion: '20.10.24',
    os: 'linux',
    labels: {},
    version: 10,
    ...over,
  };
}

export function daemonInfo(over: Partial<DaemonInfo> = {}): DaemonInfo {
  return {
    endpoint: 'tcp://10.0.0.1:2376',
    name: 'mgr-1',
    nodeId: 'mgr1id',
    localState: 'active',
    controlAvailable: true,
    error: '',
    managers: 3,
    nodes: 5,
    remoteManagers: [],
    ...over,
  };
}

export class FakeSwarm implements SwarmPort {
  activeEndpoint: string | undefined = 'tcp://10.0.0.1:2376';
  constructor(
    public nodes: SwarmNode[],
    public opts: { quorumLost?: boolean; probes?: InfoProbe[]; info?: DaemonInfo; networks?: SwarmNetwork[] } = {},
  ) {}
  async listNodes() {
    if (this.opts.quorumLost) throw new SwarmError('QUORUM_LOST', 'The swarm has no leader.');
    return this.nodes;
  }
  async info() {
    return this.opts.info ?? daemonInfo();
  }
  async probeManagers() {
    return this.opts.probes ?? [];
  }
  async listNetworks() {
    return this.opts.networks ?? [];
  }

  /** what the fake was asked to change, in order */
  changes: string[] = [];
  daemons = new Map<string, DaemonInfo>();
  /** operation key → the attempt that claimed it */
  claimed = new Map<string, string>();

  async rotateJoinTokens(kinds: TokenKind[]) {
    this.changes.push(`rotate ${kinds.join('+')}`);
    return { rotated: kinds };
  }
  async inspectDaemon(url: string) {
    const d = this.daemons.get(url);
    if (!d) throw new SwarmError('ENDPOINTS_UNREACHABLE', `Can't reach the Docker API at ${url} (ECONNREFUSED).`);
    return d;
  }
  async joinNode(req: JoinRequest) {
    const d = await this.inspectDaemon(req.url);
    if (d.localState !== 'inactive') throw new SwarmError('ALREADY_IN_SWARM', `${req.url} is already part of a swarm.`);
    this.changes.push(`join ${req.role} ${req.url}`);
    const node = req.role === 'manager' ? manager(d.name) : worker(d.name);
    this.nodes.push(node);
    this.daemons.set(req.url, { ...d, localState: 'active' });
    return node;
  }
  async claimOperation({ key, attempt }: { key: string; attempt: string }) {
    // like the adapter: a claim is ours again only for the attempt that made it
    if (this.claimed.has(key)) return this.claimed.get(key) === attempt;
    this.claimed.set(key, attempt);
    return true;
  }
  pending = new Map<string, PendingApproval>();
  async recordPending(p: PendingApproval) {
    this.pending.set(p.id, p);
  }
  async pendingApprovals() {
    return [...this.pending.values()];
  }
  async forgetPending(id: string) {
    this.pending.delete(id);
  }
  async createOverlay(spec: OverlaySpec) {
    this.changes.push(`create ${spec.name}`);
    const net: SwarmNetwork = {
      id: `net${spec.name}`, name: spec.name, driver: 'overlay', scope: 'swarm', attachable: spec.attachable, ingress: false, internal: false,
      encrypted: spec.encrypted, subnets: spec.subnet ? [{ subnet: spec.subnet, ...(spec.gateway ? { gateway: spec.gateway } : {}) }] : [], labels: {},
    };
    this.opts.networks = [...(this.opts.networks ?? []), net];
    return net;
  }
  usage = new Map<string, { services: string[]; containers: number }>();
  async removeNetwork(id: string) {
    this.changes.push(`rm ${id}`);
    this.opts.networks = (this.opts.networks ?? []).filter((n) => n.id !== id);
  }
  async networkUsage(id: string) {
    return this.usage.get(id) ?? { services: [], containers: 0 };
  }
  async updateNode(id: string, change: { role?: NodeRole; availability?: Availability }) {
    this.changes.push(`update ${id} ${JSON.stringify(change)}`);
  }
  services: GlobalServiceSpec[] = [];
  tasks: ServiceTask[] = [];
  logs = '';
  async createGlobalService(spec: GlobalServiceSpec) {
    this.services.push(spec);
    return 'svc1';
  }
  async serviceTasks() {
    return this.tasks;
  }
  async serviceLogs() {
    return this.logs;
  }
  removed: string[] = [];
  async removeService(id: string) {
    this.removed.push(id);
  }
  async servicesLabelled() {
    return [];
  }
}

export function network(name: string, over: Partial<SwarmNetwork> = {}): SwarmNetwork {
  return { id: `net${name}0000000000`, name, driver: 'overlay', scope: 'swarm', attachable: true, ingress: false, internal: false, encrypted: false, subnets: [], labels: {}, ...over };
}
