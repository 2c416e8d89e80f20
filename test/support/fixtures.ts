/** Fixture builders for our own port models, and a fake SwarmPort for action unit tests. */
import type { ClusterInfo, DaemonInfo, GlobalServiceSpec, InfoProbe, JoinRequest, NetworkUsage, NodeChange, OverlaySpec, LogLine, ServiceChange, ServiceTask, Swarm, SwarmNetwork, SwarmService, SwarmTask, SwarmNode, TokenKind } from '../../src/ports.js';
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
    nodeLabels: {},
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
    nodeLabels: {},
    version: 10,
    ...over,
  };
}

export function daemonInfo(over: Partial<DaemonInfo> = {}): DaemonInfo {
  return {
    endpoint: 'tcp://10.0.0.1:2376',
    name: 'mgr-1',
    nodeId: 'mgr1id',
    engineId: 'ENGINE:MGR1',
    engineVersion: '20.10.24',
    os: 'linux',
    apiCertFingerprint: 'ab'.repeat(32),
    localState: 'active',
    controlAvailable: true,
    error: '',
    managers: 3,
    nodes: 5,
    remoteManagers: [],
    ...over,
  };
}

/**
 * A fake Swarm for action unit tests: reads answer from fixtures, writes are
 * recorded in `changes` (in order), so a test can assert that nothing changed.
 */
export class FakeSwarm implements Swarm {
  activeEndpoint: string | undefined = 'tcp://10.0.0.1:2376';
  /** what the fake was asked to change, in order */
  changes: string[] = [];
  /** the swarm's own settings, as `GET /swarm` gives them */
  clusterInfo: ClusterInfo = {
    id: 'cluster1',
    rootCaPem: '',
    tlsIssuer: { subject: 'root-subject', publicKey: 'root-key' },
    rootRotationInProgress: false,
    nodeCertPeriodMs: 90 * 86_400_000,
    forceRotate: 0,
    autolock: false,
  };
  unlockKeyValue = 'SWMKEY-1-fakeunlockkey';
  cluster = {
    inspect: async () => this.clusterInfo,
    rotateCa: async () => {
      this.changes.push('rotate ca');
      this.clusterInfo = { ...this.clusterInfo, forceRotate: this.clusterInfo.forceRotate + 1, rootRotationInProgress: true };
    },
    setAutolock: async (on: boolean) => {
      this.changes.push(`autolock ${on ? 'on' : 'off'}`);
      this.clusterInfo = { ...this.clusterInfo, autolock: on };
    },
    rotateUnlockKey: async () => {
      this.changes.push('rotate unlock key');
      this.unlockKeyValue = `${this.unlockKeyValue}x`;
    },
    unlockKey: async () => this.unlockKeyValue,
  };
  /** "host port" pairs the preflight finds closed */
  closedPorts = new Set<string>();
  get targets() {
    return this.daemons;
  }
  /** daemons by URL (what `inspectDaemon` answers), and what was asked of them directly */
  daemons = Object.assign(new Map<string, DaemonInfo>(), {
    unlock: async (url: string) => void this.changes.push(`unlock ${url}`),
    forceNewCluster: async (url: string) => void this.changes.push(`force-new-cluster ${url}`),
    leave: async (url: string, force: boolean) => void this.changes.push(`leave ${url}${force ? ' --force' : ''}`),
    hasImage: async () => true,
    // the preflight's port checks: every "host port" answers unless listed in closedPorts
    runOnce: async (_url: string, spec: { cmd: string[] }) => ({
      exitCode: 0,
      output: [...(spec.cmd.at(-1) ?? '').matchAll(/echo "PORT (\S+ \d+) ok"/g)].map((m) => `PORT ${m[1]} ${this.closedPorts.has(m[1]!) ? 'fail' : 'ok'}`).join('\n'),
    }),
  });
  usage = new Map<string, NetworkUsage>();
  probeServices: GlobalServiceSpec[] = [];
  tasks: ServiceTask[] = [];
  logs = '';
  removed: string[] = [];

  constructor(
    public nodeList: SwarmNode[],
    public opts: { quorumLost?: boolean; probes?: InfoProbe[]; info?: DaemonInfo; networks?: SwarmNetwork[] } = {},
  ) {}

  nodes = {
    list: async () => {
      if (this.opts.quorumLost) throw new SwarmError('QUORUM_LOST', 'The swarm has no leader.');
      return this.nodeList;
    },
    info: async () => this.opts.info ?? daemonInfo(),
    probeManagers: async () => this.opts.probes ?? [],
    inspectDaemon: async (url: string) => {
      const d = this.daemons.get(url);
      if (!d) throw new SwarmError('ENDPOINTS_UNREACHABLE', `Can't reach the Docker API at ${url} (ECONNREFUSED).`);
      return d;
    },
    update: async (id: string, change: NodeChange) => {
      this.changes.push(`update ${id} ${JSON.stringify(change)}`);
      this.nodeList = this.nodeList.map((n) =>
        n.id !== id
          ? n
          : {
              ...n,
              ...(change.role ? { role: change.role } : {}),
              // Raft takes a promoted node in (reachable) and lets a demoted one go, at once here
              ...(change.role === 'manager' && !n.manager ? { manager: { leader: false, reachability: 'reachable' as const, addr: `${n.addr}:2377` } } : {}),
              ...(change.availability ? { availability: change.availability } : {}),
              ...(change.labels ? { nodeLabels: change.labels } : {}),
            },
      );
      if (change.role === 'worker') this.nodeList = this.nodeList.map((n) => (n.id === id ? (({ manager: _gone, ...rest }) => rest)(n) : n));
    },
    remove: async (id: string, opts: { force: boolean }) => {
      this.changes.push(`rm ${id}${opts.force ? ' --force' : ''}`);
      this.nodeList = this.nodeList.filter((n) => n.id !== id);
    },
    join: async (req: JoinRequest) => {
      const d = await this.nodes.inspectDaemon(req.url);
      if (d.localState !== 'inactive') throw new SwarmError('ALREADY_IN_SWARM', `${req.url} is already part of a swarm.`);
      this.changes.push(`join ${req.role} ${req.url}`);
      const node = req.role === 'manager' ? manager(d.name) : worker(d.name);
      this.nodeList.push(node);
      this.daemons.set(req.url, { ...d, localState: 'active' });
      return node;
    },
  };

  networks = {
    list: async () => this.opts.networks ?? [],
    usage: async (id: string) => this.usage.get(id) ?? { services: [], containers: 0 },
    createOverlay: async (spec: OverlaySpec) => {
      this.changes.push(`create ${spec.name}`);
      const net: SwarmNetwork = {
        id: `net${spec.name}`, name: spec.name, driver: 'overlay', scope: 'swarm', attachable: spec.attachable, ingress: false, internal: false,
        encrypted: spec.encrypted, subnets: spec.subnet ? [{ subnet: spec.subnet, ...(spec.gateway ? { gateway: spec.gateway } : {}) }] : [], labels: {},
      };
      this.opts.networks = [...(this.opts.networks ?? []), net];
      return net;
    },
    remove: async (id: string) => {
      this.changes.push(`rm ${id}`);
      this.opts.networks = (this.opts.networks ?? []).filter((n) => n.id !== id);
    },
  };

  tokens = {
    rotate: async (kinds: TokenKind[]) => {
      this.changes.push(`rotate ${kinds.join('+')}`);
      return { rotated: kinds };
    },
  };

  legacyConfigs: Array<{ id: string; name: string }> = [];
  legacyState = {
    list: async () => this.legacyConfigs,
    remove: async (id: string) => {
      this.changes.push(`rm config ${id}`);
      this.legacyConfigs = this.legacyConfigs.filter((c) => c.id !== id);
    },
  };

  /** the services and their tasks, as `GET /services?status=true` and `GET /tasks` give them; `serviceCalls` counts the requests */
  serviceList: SwarmService[] = [];
  serviceTasks: SwarmTask[] = [];
  serviceLogs = new Map<string, { lines: LogLine[]; errors: string[] }>();
  serviceCalls = 0;
  services = {
    list: async () => (this.serviceCalls++, this.serviceList),
    inspect: async (ref: string) => (this.serviceCalls++, this.serviceList.find((x) => x.id === ref || x.name === ref || (ref.length >= 4 && x.id.startsWith(ref)))),
    tasks: async (f: { serviceIds?: string[]; upToDate?: boolean } = {}) => (this.serviceCalls++, this.serviceTasks.filter((t) => !f.serviceIds || f.serviceIds.includes(t.serviceId))),
    logs: async (id: string) => (this.serviceCalls++, this.serviceLogs.get(id) ?? { lines: [], errors: [] }),
    update: async (id: string, change: ServiceChange) => {
      const svc = this.serviceList.find((x) => x.id === id);
      if (!svc) throw new SwarmError('NOT_FOUND', 'no such service');
      this.changes.push(`service ${svc.name} ${change.kind}${change.kind === 'scale' ? ` ${change.replicas}` : change.kind === 'image' ? ` ${change.image}` : ''}`);
      const next: SwarmService = { ...svc, version: svc.version + 1, previous: { image: svc.image, ...(svc.replicas !== undefined ? { replicas: svc.replicas } : {}), fingerprint: svc.fingerprint } };
      if (change.kind === 'scale') Object.assign(next, { replicas: change.replicas, desired: change.replicas });
      if (change.kind === 'image') next.image = change.image;
      if (change.kind === 'restart') next.forceUpdate = svc.forceUpdate + 1;
      if (change.kind === 'rollback' && svc.previous) Object.assign(next, { image: svc.previous.image, ...(svc.previous.replicas !== undefined ? { replicas: svc.previous.replicas } : {}) });
      next.fingerprint = `${next.image}#${next.replicas ?? 'g'}#${next.forceUpdate}`;
      this.serviceList = this.serviceList.map((x) => (x.id === id ? next : x));
      return { warnings: [] };
    },
  };

  probe = {
    create: async (spec: GlobalServiceSpec) => {
      this.changes.push(`probe ${spec.name}`);
      this.probeServices.push(spec);
      return 'svc1';
    },
    tasks: async () => this.tasks,
    logs: async () => this.logs,
    remove: async (id: string) => {
      this.removed.push(id);
    },
    labelled: async () => [] as Array<{ id: string; name: string; createdAt: Date }>,
  };
}

export function network(name: string, over: Partial<SwarmNetwork> = {}): SwarmNetwork {
  return { id: `net${name}0000000000`, name, driver: 'overlay', scope: 'swarm', attachable: true, ingress: false, internal: false, encrypted: false, subnets: [], labels: {}, ...over };
}

/** A replicated service, running as desired unless told otherwise. */
export function service(name: string, over: Partial<SwarmService> = {}): SwarmService {
  const replicas = over.replicas ?? (over.mode === 'global' ? undefined : 2);
  const image = over.image ?? 'registry.example/app:1.0';
  return {
    id: `svc${name.replace(/[^a-z0-9]/gi, '')}000000000000`.slice(0, 25),
    name,
    version: 10,
    mode: 'replicated',
    ...(replicas !== undefined ? { replicas } : {}),
    running: replicas ?? 3,
    desired: replicas ?? 3,
    image,
    updateConfig: { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 5000, order: 'stop-first' },
    forceUpdate: 0,
    tty: false,
    ports: [],
    constraints: [],
    networks: [],
    secrets: [],
    configs: [],
    envNames: [],
    fingerprint: `${image}#${replicas ?? 'g'}#0`,
    ...over,
  };
}

/** A task of a service on a node. */
export function task(svc: SwarmService, slot: number | undefined, nodeId: string, over: Partial<SwarmTask> = {}): SwarmTask {
  return {
    id: `task${svc.name}${slot ?? nodeId}`.replace(/[^a-z0-9]/gi, '').padEnd(25, '0').slice(0, 25),
    serviceId: svc.id,
    ...(slot !== undefined ? { slot } : {}),
    nodeId,
    state: 'running',
    desiredState: 'running',
    message: 'started',
    image: svc.image,
    at: new Date('2026-12-03T10:00:00Z'),
    ...over,
  };
}
