import https from 'node:https';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import Dockerode from 'dockerode';
import { SwarmError } from '../errors.js';
import { classify, describeFailure, dockerMessage, isTimeout, type DockerErrorLike, type EndpointFailure } from './docker-errors.js';
import {
  demuxDockerStream,
  toDaemonInfo,
  toSwarmNetwork,
  toSwarmNode,
  type DockerInfo,
  type DockerNetwork,
  type DockerNode,
  type DockerSwarmSpec,
  type DockerTask,
} from './docker-json.js';
import type {
  OperationClaim,
  PendingApproval,
  Availability,
  GlobalServiceSpec,
  NetworkUsage,
  NodeRole,
  OverlaySpec,
  ServiceTask,
  JoinRequest,
  TokenKind,
  ClusterCredentials,
  DaemonInfo,
  InfoProbe,
  SwarmNetwork,
  SwarmNode,
  SwarmPort,
} from '../ports.js';

/** The newest Engine API we speak; we use min(this, the daemon's) and never pin one version. */
export const OUR_API_VERSION = '1.47';

export interface DockerSwarmOptions {
  /** time limit of one call to one endpoint */
  callTimeoutMs?: number;
  /** time limit of one `/info` probe when quorum is lost */
  probeTimeoutMs?: number;
  /** time after which fail-over stops trying further endpoints */
  failoverBudgetMs?: number;
  /** time limit for reaching a daemon at all (TLS handshake and `/_ping`) */
  connectTimeoutMs?: number;
}

interface Endpoint {
  url: string;
  host: string;
  port: number;
}

export function parseEndpoint(url: string): Endpoint {
  const m = /^(?:tcp|https):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url.trim());
  if (!m) throw new SwarmError('VALIDATION', `\`${url}\` is not a Docker API URL; use tcp://HOST:PORT`);
  return { url: url.trim(), host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fingerprint = (token: string | undefined) => createHash('sha256').update(token ?? '').digest('hex');
const OUT_OF_SEQUENCE = /update out of sequence/i;
const OP_LABEL = 'swarm-ops.operation';
const PENDING_LABEL = 'swarm-ops.pending';
const OP_RETENTION_MS = 7 * 86_400_000;

/** A config name for an operation key: readable when short, a hash when it would not fit Docker's 64 characters. */
export function operationName(key: string): string {
  const plain = `swarm-ops.op.${key}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return plain.length <= 64 && /[a-zA-Z0-9]$/.test(plain) ? plain : `swarm-ops.op.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

const compareVersions = (a: string, b: string) => {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

export class DockerSwarm implements SwarmPort {
  activeEndpoint: string | undefined;
  private readonly endpoints: Endpoint[];
  private readonly clients = new Map<string, Promise<{ docker: Dockerode; apiVersion: string; certExpiresAt?: Date }>>();
  private readonly callTimeoutMs: number;
  private readonly probeTimeoutMs: number;
  private readonly failoverBudgetMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly creds: ClusterCredentials,
    opts: DockerSwarmOptions = {},
  ) {
    if (!creds.endpoints.length) throw new SwarmError('VALIDATION', 'This cluster has no manager endpoints configured.');
    this.endpoints = creds.endpoints.map(parseEndpoint);
    this.callTimeoutMs = opts.callTimeoutMs ?? 4000;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 2500;
    this.failoverBudgetMs = opts.failoverBudgetMs ?? 6000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1500;
  }

  /** `GET /_ping` with the cluster's client certificate: the daemon's API version and its certificate's expiry. */
  private ping(ep: Endpoint, signal: AbortSignal): Promise<{ apiVersion: string; certExpiresAt?: Date }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: ep.host,
          port: ep.port,
          path: '/_ping',
          method: 'GET',
          ca: this.creds.ca,
          cert: this.creds.cert,
          key: this.creds.key,
          signal,
          agent: false,
        },
        (res) => {
          const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
          res.resume();
          const apiVersion = String(res.headers['api-version'] ?? '1.41');
          res.on('end', () =>
            resolve({ apiVersion, certExpiresAt: peer?.valid_to ? new Date(peer.valid_to) : undefined }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private client(ep: Endpoint, signal: AbortSignal) {
    let c = this.clients.get(ep.url);
    if (!c) {
      c = this.ping(ep, signal).then(({ apiVersion, certExpiresAt }) => {
        const version = compareVersions(apiVersion, OUR_API_VERSION) < 0 ? apiVersion : OUR_API_VERSION;
        return { docker: this.dockerFor(ep, version, this.callTimeoutMs), apiVersion: version, certExpiresAt };
      });
      // a failed negotiation is retried on the next call rather than remembered
      c.catch(() => this.clients.delete(ep.url));
      this.clients.set(ep.url, c);
    }
    return c;
  }

  /** dockerode over mutual TLS; `timeout` is how long a socket may stay silent */
  private dockerFor(ep: Endpoint, apiVersion: string, timeout: number): Dockerode {
    return new Dockerode({
      host: ep.host,
      port: ep.port,
      protocol: 'https',
      ca: this.creds.ca,
      cert: this.creds.cert,
      key: this.creds.key,
      version: `v${apiVersion}`,
      timeout,
    });
  }

  /** Endpoints in order, starting with the one that answered last. */
  private ordered(): Endpoint[] {
    const i = this.endpoints.findIndex((e) => e.url === this.activeEndpoint);
    return i <= 0 ? this.endpoints : [...this.endpoints.slice(i), ...this.endpoints.slice(0, i)];
  }

  /**
   * Runs one call against the first manager that answers. An endpoint that is
   * down, times out, is not a manager or (being cut off) has no leader is
   * skipped; Docker's answers to the call itself are returned as they are.
   *
   * A write is only sent again to the next manager when the first one surely
   * did not get it (no connection, TLS refused, "not a manager", "no leader").
   * A write that timed out after it was sent may have been committed by Raft:
   * that is an UNCERTAIN error, which the caller settles by reading back.
   */
  async call<T>(fn: (docker: Dockerode, signal: AbortSignal, apiVersion: string) => Promise<T>, opts: { write?: boolean } = {}): Promise<T> {
    const started = Date.now();
    const failures: Array<{ ep: Endpoint; kind: EndpointFailure; why: string }> = [];
    for (const ep of this.ordered()) {
      const remaining = this.failoverBudgetMs - (Date.now() - started);
      if (failures.length && remaining < 300) break;
      const signal = AbortSignal.timeout(Math.max(300, Math.min(this.callTimeoutMs, remaining)));
      let client: { docker: Dockerode; apiVersion: string };
      try {
        // a dead or black-holed endpoint fails here, quickly, before anything is sent
        client = await this.client(ep, AbortSignal.any([signal, AbortSignal.timeout(this.connectTimeoutMs)]));
      } catch (err) {
        const kind = classify(err) ?? 'unreachable';
        failures.push({ ep, kind, why: describeFailure(kind, err) });
        continue;
      }
      try {
        const result = await fn(client.docker, signal, client.apiVersion);
        this.activeEndpoint = ep.url;
        return result;
      } catch (err) {
        let kind = classify(err);
        if (!kind) throw err;
        const sentMaybe = isTimeout(err) || /deadline|ECONNRESET|socket hang up/i.test(`${(err as DockerErrorLike).code ?? ''} ${dockerMessage(err)}`);
        if (opts.write && sentMaybe) {
          throw new SwarmError('UNCERTAIN', `${ep.url} did not confirm the change in time (${describeFailure(kind, err)}); it may or may not have happened.`);
        }
        // Without a leader, a manager's swarm calls hang until a deadline while the daemon
        // itself still answers: a time-out from a live daemon means "no leader", not "down".
        if (kind === 'unreachable' && isTimeout(err) && (await this.answersPing(ep))) kind = 'no-leader';
        failures.push({ ep, kind, why: kind === 'no-leader' && isTimeout(err) ? 'swarm API timed out (daemon up)' : describeFailure(kind, err) });
      }
    }
    const list = failures.map((f) => `${f.ep.url}: ${f.why}`).join('; ');
    const untried = this.endpoints.length - failures.length;
    const more = untried > 0 ? ` (${untried} more endpoint${untried > 1 ? 's' : ''} not tried within the time limit)` : '';
    if (failures.some((f) => f.kind === 'no-leader')) {
      throw new SwarmError('QUORUM_LOST', `The swarm has no leader (${list})${more}.`);
    }
    if (failures.every((f) => f.kind === 'tls')) {
      throw new SwarmError(
        'TLS',
        `TLS to the managers failed (${list}). The CA, client certificate or key stored for this cluster do not match the daemons'. ` +
          'Fix the cluster\'s `ca`, `cert` and `key` parameters in SSM; swarm-ops never falls back to an unverified connection.',
      );
    }
    if (failures.every((f) => f.kind === 'not-manager')) {
      throw new SwarmError('NOT_A_MANAGER', `None of the configured endpoints is a swarm manager (${list}). Update the cluster's endpoints in SSM.`);
    }
    throw new SwarmError(
      'ENDPOINTS_UNREACHABLE',
      `No manager endpoint answered (${list})${more}. Check that the managers are running and reachable from swarm-ops.`,
    );
  }

  private answersPing(ep: Endpoint): Promise<boolean> {
    return this.ping(ep, AbortSignal.timeout(1000)).then(
      () => true,
      () => false,
    );
  }

  async listNodes(): Promise<SwarmNode[]> {
    const raw = await this.call((d, abortSignal) => d.listNodes({ abortSignal } as object));
    return (raw as unknown as DockerNode[]).map(toSwarmNode);
  }

  async info(): Promise<DaemonInfo> {
    const raw = await this.call((d, abortSignal) => infoOf(d, abortSignal));
    const url = this.activeEndpoint!;
    const certExpiresAt = await this.clients.get(url)?.then((c) => c.certExpiresAt).catch(() => undefined);
    return toDaemonInfo(url, raw as DockerInfo, certExpiresAt);
  }

  async probeManagers(): Promise<InfoProbe[]> {
    return Promise.all(
      this.endpoints.map(async (ep): Promise<InfoProbe> => {
        const signal = AbortSignal.timeout(this.probeTimeoutMs);
        const up = this.ping(ep, signal).then(() => true, () => false);
        try {
          const { docker, certExpiresAt } = await this.client(ep, signal);
          const raw = await infoOf(docker, signal);
          return { endpoint: ep.url, daemonUp: true, info: toDaemonInfo(ep.url, raw as DockerInfo, certExpiresAt) };
        } catch (err) {
          const daemonUp = await up;
          return { endpoint: ep.url, daemonUp, error: daemonUp ? 'daemon up, but /info did not answer in time' : describeFailure(classify(err) ?? 'unreachable', err) };
        }
      }),
    );
  }

  async listNetworks(): Promise<SwarmNetwork[]> {
    const raw = await this.call((d, abortSignal) =>
      d.listNetworks({ abortSignal } as object),
    );
    return (raw as unknown as DockerNetwork[]).map(toSwarmNetwork);
  }

  async rotateJoinTokens(kinds: TokenKind[]): Promise<{ rotated: TokenKind[] }> {
    const read = () => this.call((d, abortSignal) => inspectSwarm(d, abortSignal)) as Promise<DockerSwarmSpec>;
    const changed = (a: DockerSwarmSpec, b: DockerSwarmSpec) =>
      (['worker', 'manager'] as const).filter((k) => {
        const key = k === 'worker' ? 'Worker' : 'Manager';
        return fingerprint(a.JoinTokens?.[key]) !== fingerprint(b.JoinTokens?.[key]);
      });
    const before = await read();
    let current = before;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call(
          (d, abortSignal) =>
            d.swarmUpdate({
              // dockerode builds query and body from one object unless told apart
              _query: {
                version: current.Version.Index,
                rotateWorkerToken: kinds.includes('worker'),
                rotateManagerToken: kinds.includes('manager'),
              },
              _body: current.Spec,
              abortSignal,
            } as object),
          { write: true },
        );
        break;
      } catch (err) {
        const uncertain = err instanceof SwarmError && err.code === 'UNCERTAIN';
        if (uncertain || OUT_OF_SEQUENCE.test(dockerMessage(err))) {
          // read back: an update that went through must not be sent again
          try {
            current = await read();
          } catch {
            throw err;
          }
          if (kinds.every((k) => changed(before, current).includes(k))) break;
          if (attempt < 5) continue;
        }
        if (err instanceof SwarmError) throw err;
        throw new SwarmError('CONFLICT', `Docker refused the token rotation: ${dockerMessage(err)}`);
      }
    }
    const after = await read().catch(() => undefined);
    return { rotated: after ? changed(before, after) : kinds };
  }

  /** A client for one daemon that is not necessarily a manager (a node about to join). */
  private async daemon(url: string, timeoutMs = this.callTimeoutMs): Promise<{ docker: Dockerode; ep: Endpoint; apiVersion: string }> {
    const ep = parseEndpoint(url);
    try {
      const { docker, apiVersion } = await this.client(ep, AbortSignal.timeout(timeoutMs));
      return { docker, ep, apiVersion };
    } catch (err) {
      throw this.daemonError(url, err);
    }
  }

  private daemonError(url: string, err: unknown): SwarmError {
    const kind = classify(err) ?? 'unreachable';
    if (kind === 'tls')
      return new SwarmError(
        'TLS',
        `TLS to ${url} failed (${describeFailure(kind, err)}). Its daemon must use a certificate signed by this cluster's CA and trust the same CA for clients.`,
      );
    return new SwarmError('ENDPOINTS_UNREACHABLE', `Can't reach the Docker API at ${url} (${describeFailure(kind, err)}). Check the address and that dockerd listens there with TLS.`);
  }

  async inspectDaemon(url: string): Promise<DaemonInfo> {
    const { docker } = await this.daemon(url);
    try {
      return toDaemonInfo(url, (await infoOf(docker, AbortSignal.timeout(this.callTimeoutMs))) as DockerInfo);
    } catch (err) {
      throw this.daemonError(url, err);
    }
  }

  async joinNode(req: JoinRequest): Promise<SwarmNode> {
    const target = await this.inspectDaemon(req.url);
    if (target.localState !== 'inactive') {
      throw new SwarmError(
        'ALREADY_IN_SWARM',
        `\`${target.name}\` (${req.url}) is already part of a swarm (state: ${target.localState}). ` +
          'Run `docker swarm leave` on it first if it should join this one.',
      );
    }
    const managers = (await this.listNodes()).filter((n) => n.manager?.reachability === 'reachable' && n.manager.addr);
    const swarm = (await this.call((d, abortSignal) => inspectSwarm(d, abortSignal))) as DockerSwarmSpec;
    const joinToken = req.role === 'manager' ? swarm.JoinTokens?.Manager : swarm.JoinTokens?.Worker;
    if (!joinToken) throw new SwarmError('NOT_A_MANAGER', 'The manager did not return a join token.');
    const { ep, apiVersion } = await this.daemon(req.url);
    // POST /swarm/join answers only when the join is done (up to ~20 s): its socket must be allowed to stay silent
    const docker = this.dockerFor(ep, apiVersion, 60_000);
    const advertiseAddr = req.advertiseAddr ?? (isIP(ep.host) ? ep.host : undefined);
    const dataPathAddr = req.dataPathAddr ?? advertiseAddr;
    try {
      await docker.swarmJoin({
        _body: {
          ListenAddr: '0.0.0.0:2377',
          ...(advertiseAddr ? { AdvertiseAddr: advertiseAddr } : {}),
          ...(dataPathAddr ? { DataPathAddr: dataPathAddr } : {}),
          RemoteAddrs: managers.map((m) => m.manager!.addr),
          JoinToken: joinToken,
        },
        abortSignal: AbortSignal.timeout(45_000),
      } as object);
    } catch (err) {
      const msg = dockerMessage(err);
      // a join that outlives its deadline answers 503 and goes on in the background, and one whose
      // answer we lost after sending it may be going on too: either way, wait and see below
      const stillJoining =
        ((err as DockerErrorLike).statusCode === 503 && /timeout|timed out|deadline/i.test(msg)) ||
        ((err as DockerErrorLike).statusCode === undefined && (isTimeout(err) || /ECONNRESET|socket hang up/i.test(`${(err as DockerErrorLike).code ?? ''} ${msg}`)));
      if (!stillJoining) {
        if (/already part of a swarm/i.test(msg))
          throw new SwarmError('ALREADY_IN_SWARM', `${req.url} is already part of a swarm. Run \`docker swarm leave\` on it first.`);
        if (typeof (err as DockerErrorLike).statusCode === 'number')
          throw new SwarmError('CONFLICT', `Docker refused the join of ${req.url}: ${msg}`);
        throw this.daemonError(req.url, err);
      }
    }
    return this.waitUntilReady(docker, req);
  }

  private async waitUntilReady(docker: Dockerode, req: JoinRequest): Promise<SwarmNode> {
    const deadline = Date.now() + (req.readyTimeoutMs ?? 45_000);
    let nodeId = '';
    while (Date.now() < deadline) {
      if (!nodeId) {
        const info = toDaemonInfo(req.url, (await infoOf(docker, AbortSignal.timeout(this.callTimeoutMs)).catch(() => ({}))) as DockerInfo);
        if (info.localState === 'error') throw new SwarmError('CONFLICT', `The join of ${req.url} failed: ${info.error}`);
        if (info.localState === 'active' && info.nodeId) nodeId = info.nodeId;
      }
      if (nodeId) {
        const node = (await this.listNodes().catch(() => [])).find((n) => n.id === nodeId);
        if (node?.state === 'ready' && (req.role === 'worker' || node.manager?.reachability === 'reachable')) return node;
      }
      await sleep(500);
    }
    throw new SwarmError('CONFLICT', `${req.url} joined but did not show up Ready within ${Math.round((req.readyTimeoutMs ?? 45_000) / 1000)} s; check \`/swarm nodes\`.`);
  }

  async claimOperation({ key, attempt, description }: OperationClaim): Promise<boolean> {
    const name = operationName(key);
    const data = Buffer.from(JSON.stringify({ owner: attempt, description: description.slice(0, 400) })).toString('base64');
    /** whether the record exists and is ours (undefined: it does not exist) */
    const ours = async (): Promise<boolean | undefined> => {
      const cfg = await this.call((d, signal) => dial<{ Spec?: { Data?: string } }>(d, { path: `/configs/${encodeURIComponent(name)}`, method: 'GET', signal })).catch(
        (err) => {
          if ((err as DockerErrorLike).statusCode === 404) return undefined;
          throw err;
        },
      );
      if (!cfg) return undefined;
      try {
        return (JSON.parse(Buffer.from(cfg.Spec?.Data ?? '', 'base64').toString('utf8')) as { owner?: string }).owner === attempt;
      } catch {
        return false;
      }
    };
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await this.call(
          (d, signal) =>
            dial(d, {
              path: '/configs/create',
              method: 'POST',
              body: { Name: name, Labels: { [OP_LABEL]: 'v1', 'swarm-ops.at': new Date().toISOString() }, Data: data },
              signal,
            }),
          { write: true },
        );
        // housekeeping never holds up (or fails) the change itself
        void this.pruneOperations().catch(() => undefined);
        return true;
      } catch (err) {
        // taken: by an earlier attempt of ours that timed out, or by another delivery
        if ((err as DockerErrorLike).statusCode === 409) return (await ours()) === true;
        if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
          const found = await ours();
          if (found !== undefined) return found;
          continue;
        }
        if (err instanceof SwarmError) throw err;
        throw new SwarmError('CONFLICT', `Could not record the operation in the swarm: ${dockerMessage(err)}`);
      }
    }
    // a late commit of our own attempt still counts as ours
    await sleep(1000);
    const late = await ours().catch(() => undefined);
    if (late !== undefined) return late;
    throw new SwarmError('UNCERTAIN', 'The swarm did not confirm the start of this operation in time; nothing was changed. Try again.');
  }

  private pendingName = (id: string) => operationName(`pending-${id}`).replace('swarm-ops.op.', 'swarm-ops.pending.');

  async recordPending(p: PendingApproval): Promise<void> {
    await this.call(
      (d, signal) =>
        dial(d, {
          path: '/configs/create',
          method: 'POST',
          body: { Name: this.pendingName(p.id), Labels: { [PENDING_LABEL]: 'v1' }, Data: Buffer.from(JSON.stringify(p)).toString('base64') },
          signal,
        }),
      { write: true },
    ).catch((err) => {
      if ((err as DockerErrorLike).statusCode !== 409) throw err;
    });
  }

  async pendingApprovals(): Promise<PendingApproval[]> {
    const configs = await this.call((d, signal) =>
      dial<Array<{ Spec?: { Data?: string } }>>(d, { path: '/configs', method: 'GET', query: { filters: JSON.stringify({ label: [PENDING_LABEL] }) }, signal }),
    );
    return configs.flatMap((c) => {
      try {
        return [JSON.parse(Buffer.from(c.Spec?.Data ?? '', 'base64').toString('utf8')) as PendingApproval];
      } catch {
        return [];
      }
    });
  }

  async forgetPending(id: string): Promise<void> {
    await this.call((d, signal) => dial(d, { path: `/configs/${encodeURIComponent(this.pendingName(id))}`, method: 'DELETE', signal }), { write: true }).catch((err) => {
      if ((err as DockerErrorLike).statusCode !== 404) throw err;
    });
  }

  /** Operation records older than a week are of no use for spotting repeats. */
  private async pruneOperations(): Promise<void> {
    const configs = (await this.call((d, abortSignal) =>
      d.listConfigs({ filters: JSON.stringify({ label: [OP_LABEL] }), abortSignal } as object),
    )) as unknown as Array<{ ID: string; Spec?: { Labels?: Record<string, string> } }>;
    const cutoff = Date.now() - OP_RETENTION_MS;
    for (const c of configs.slice(0, 20)) {
      const at = Date.parse(c.Spec?.Labels?.['swarm-ops.at'] ?? '');
      if (at && at < cutoff) await this.call((d) => d.getConfig(c.ID).remove({}));
    }
  }

  async createOverlay(spec: OverlaySpec): Promise<SwarmNetwork> {
    const created = (await this.call(
      (d, abortSignal, apiVersion) =>
      dial(d, {
        path: '/networks/create',
        method: 'POST',
        signal: abortSignal,
        statusCodes: { 201: true, 400: 'bad parameter', 403: 'operation not supported for pre-defined networks', 404: 'plugin not found', 409: 'conflict', 500: 'server error' },
        body: {
          Name: spec.name,
          Driver: 'overlay',
          Scope: 'swarm',
          Attachable: spec.attachable,
          // before API 1.44 the daemon only refuses a duplicate name when asked to
          ...(compareVersions(apiVersion, '1.44') < 0 ? { CheckDuplicate: true } : {}),
          Options: spec.encrypted ? { encrypted: '' } : {},
          Labels: spec.labels ?? {},
          ...(spec.subnet
            ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, ...(spec.gateway ? { Gateway: spec.gateway } : {}) }] } }
            : {}),
        },
      }),
      { write: true },
    ).catch(async (err) => {
      if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
        // read back: ours if it carries this request's label
        const found = await this.call((d, signal) => dial<DockerNetwork>(d, { path: `/networks/${encodeURIComponent(spec.name)}`, method: 'GET', signal })).catch(() => undefined);
        const request = spec.labels?.['swarm-ops.request'];
        if (found && request && found.Labels?.['swarm-ops.request'] === request) return { Id: found.Id };
        throw err;
      }
      const status = (err as DockerErrorLike).statusCode;
      if (status === 409 || /name conflicts with an existing object/i.test(dockerMessage(err)))
        throw new SwarmError('CONFLICT', `A network named \`${spec.name}\` (in any letter case) already exists; nothing was created.`);
      if (status === 403 || status === 400) throw new SwarmError('VALIDATION', `Docker refused the network: ${dockerMessage(err)}`);
      throw err;
    })) as unknown as { id?: string; Id?: string };
    const id = created.id ?? created.Id ?? '';
    // Swarm allocates the network after it answered; one it can't allocate (e.g. its gateway is
    // taken) stays without driver and subnet. Report only what was really set up.
    const deadline = Date.now() + 8000;
    for (;;) {
      const net = toSwarmNetwork(await this.call((d, signal) => dial<DockerNetwork>(d, { path: `/networks/${id}`, method: 'GET', signal })));
      if (net.driver === 'overlay' && (!spec.subnet || net.subnets.length)) return net;
      if (Date.now() > deadline) {
        const removed = await this.removeNetwork(id).then(
          () => true,
          () => false,
        );
        const why = spec.subnet ? ` (is ${spec.subnet}${spec.gateway ? ` or gateway ${spec.gateway}` : ''} already in use?)` : '';
        throw new SwarmError(
          'CONFLICT',
          removed
            ? `Docker accepted \`${spec.name}\` but could not allocate it${why}, so it was removed again; nothing was created.`
            : `Docker accepted \`${spec.name}\` but could not allocate it${why}, and removing it failed: remove it with \`docker network rm ${spec.name}\`.`,
        );
      }
      await sleep(250);
    }
  }

  async removeNetwork(id: string): Promise<void> {
    await this.call((d, abortSignal) => d.getNetwork(id).remove({ abortSignal } as object), { write: true }).catch(async (err) => {
      if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
        const gone = await this.call((d, signal) => dial(d, { path: `/networks/${id}`, method: 'GET', signal })).then(
          () => false,
          (e) => (e as DockerErrorLike).statusCode === 404,
        );
        if (gone) return;
        throw err;
      }
      if (err instanceof SwarmError) throw err;
      throw new SwarmError('CONFLICT', `Docker refused to remove the network: ${dockerMessage(err)}`);
    });
  }

  async networkUsage(id: string): Promise<NetworkUsage> {
    // services that name the network in their spec (even before a task runs) ...
    const specs = (await this.call((d, abortSignal) => d.listServices({ abortSignal } as object))) as unknown as Array<{
      Spec?: { Name?: string; TaskTemplate?: { Networks?: Array<{ Target?: string }> }; Networks?: Array<{ Target?: string }> };
    }>;
    const net = await this.call((d, signal) =>
      dial<{ Name?: string; Containers?: Record<string, unknown> | null; Services?: Record<string, { Tasks?: unknown[] | null }> | null }>(d, {
        path: `/networks/${id}`,
        method: 'GET',
        query: { verbose: true },
        signal,
      }),
    );
    const targets = new Set([id, net.Name ?? '']);
    const named = specs
      .filter((s) => [...(s.Spec?.TaskTemplate?.Networks ?? []), ...(s.Spec?.Networks ?? [])].some((n) => targets.has(n.Target ?? '')))
      .map((s) => s.Spec?.Name ?? '?');
    // ... and what the swarm sees attached: tasks of services, standalone containers on the answering manager
    const attached = Object.keys(net.Services ?? {}).filter(Boolean);
    const tasks = Object.values(net.Services ?? {}).reduce((n, s) => n + (s.Tasks?.length ?? 0), 0);
    const local = Object.keys(net.Containers ?? {}).filter((k) => !k.startsWith('lb-') && k !== 'ingress-sbox').length;
    return { services: [...new Set([...named, ...attached])].sort(), containers: Math.max(tasks, local) };
  }

  async updateNode(id: string, change: { role?: NodeRole; availability?: Availability }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const node = (await this.call((d, abortSignal) => d.getNode(id).inspect({ abortSignal } as object))) as {
        Version: { Index: number };
        Spec: Record<string, unknown>;
      };
      // already as asked (e.g. an earlier attempt that timed out went through): nothing to send
      if ((!change.role || node.Spec['Role'] === change.role) && (!change.availability || node.Spec['Availability'] === change.availability)) return;
      const spec = {
        ...node.Spec,
        ...(change.role ? { Role: change.role } : {}),
        ...(change.availability ? { Availability: change.availability } : {}),
      };
      try {
        await this.call(
          (d, abortSignal) => d.getNode(id).update({ _query: { version: node.Version.Index }, _body: spec, abortSignal } as object),
          { write: true },
        );
        return;
      } catch (err) {
        const msg = dockerMessage(err);
        if (attempt < 5 && (OUT_OF_SEQUENCE.test(msg) || (err instanceof SwarmError && err.code === 'UNCERTAIN'))) continue;
        if (err instanceof SwarmError) throw err;
        if ((err as DockerErrorLike).statusCode === 400 || /FailedPrecondition|quorum|last manager/i.test(msg))
          throw new SwarmError('QUORUM_GUARD', `Docker refused the change: ${msg}`);
        throw new SwarmError('CONFLICT', `Docker refused the change: ${msg}`);
      }
    }
  }

  async createGlobalService(spec: GlobalServiceSpec): Promise<string> {
    const out = (await this.call(
      (d, abortSignal) =>
      d.createService({
        Name: spec.name,
        Labels: spec.labels,
        TaskTemplate: {
          ContainerSpec: { Image: spec.image, Command: spec.command, Env: spec.env, StopGracePeriod: 1_000_000_000 },
          Networks: [{ Target: spec.networkId }],
          RestartPolicy: { Condition: 'none' },
          Resources: { Limits: { MemoryBytes: 32 * 1024 * 1024 } },
        },
        Mode: { Global: {} },
        // DNS round robin: the probe needs no virtual IP (and IPVS may be absent)
        EndpointSpec: { Mode: 'dnsrr' },
        abortSignal,
      } as object),
      { write: true },
    ).catch(async (err) => {
      if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
        // read back by name: the probe may exist even though Docker did not say so in time
        const found = await this.call((d, signal) => dial<{ ID: string }>(d, { path: `/services/${encodeURIComponent(spec.name)}`, method: 'GET', signal })).catch(() => undefined);
        if (found) return found;
      }
      throw err;
    })) as unknown as { ID?: string; id?: string };
    return out.ID ?? out.id ?? '';
  }

  async serviceTasks(serviceId: string): Promise<ServiceTask[]> {
    const raw = (await this.call((d, abortSignal) =>
      d.listTasks({ filters: JSON.stringify({ service: [serviceId] }), abortSignal } as object),
    )) as unknown as DockerTask[];
    return raw.map((t) => ({
      id: t.ID,
      nodeId: t.NodeID ?? '',
      state: t.Status?.State ?? 'unknown',
      desiredState: t.DesiredState ?? '',
      addresses: (t.NetworksAttachments ?? [])
        .filter((a) => !a.Network?.Spec?.Ingress)
        .flatMap((a) => a.Addresses ?? [])
        .map((a) => a.split('/')[0]!),
      ...(t.Status?.Err ? { error: t.Status.Err } : {}),
    }));
  }

  async serviceLogs(serviceId: string): Promise<string> {
    const raw = await this.call((d, signal) =>
      dial<Buffer | string>(d, { path: `/services/${serviceId}/logs`, method: 'GET', query: { stdout: true, stderr: true, follow: false }, signal }),
    );
    return demuxDockerStream(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  async removeService(serviceId: string): Promise<void> {
    await this.call((d, abortSignal) => d.getService(serviceId).remove({ abortSignal } as object), { write: true }).catch(async (err) => {
      if ((err as DockerErrorLike).statusCode === 404) return;
      if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
        const gone = await this.call((d, signal) => dial(d, { path: `/services/${serviceId}`, method: 'GET', signal })).then(
          () => false,
          (e) => (e as DockerErrorLike).statusCode === 404,
        );
        if (gone) return;
      }
      throw err;
    });
  }

  async servicesLabelled(label: string): Promise<Array<{ id: string; name: string; createdAt: Date }>> {
    const raw = (await this.call((d, abortSignal) =>
      d.listServices({ filters: JSON.stringify({ label: [label] }), abortSignal } as object),
    )) as unknown as Array<{ ID: string; CreatedAt?: string; Spec?: { Name?: string } }>;
    return raw.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID, createdAt: new Date(s.CreatedAt ?? 0) }));
  }
}

const infoOf = (d: Dockerode, abortSignal: AbortSignal): Promise<unknown> =>
  (d.info as unknown as (opts: object) => Promise<unknown>).call(d, { abortSignal });

/**
 * One raw Engine API call through dockerode's modem, for the calls whose
 * dockerode wrappers mix query and body or lack typings. Query and body are
 * always passed apart.
 */
function dial<T>(
  d: Dockerode,
  o: { path: string; method: 'GET' | 'POST' | 'DELETE'; query?: object; body?: object; signal: AbortSignal; statusCodes?: Record<number, true | string> },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const modem = d.modem as unknown as { dial(opts: object, cb: (err: unknown, data: unknown) => void): void };
    modem.dial(
      {
        path: `${o.path}?`,
        method: o.method,
        options: { _query: o.query ?? {}, ...(o.body ? { _body: o.body } : {}) },
        abortSignal: o.signal,
        statusCodes: o.statusCodes ?? { 200: true, 201: true, 204: true, 400: 'bad parameter', 404: 'not found', 409: 'conflict', 500: 'server error', 503: 'node is not part of a swarm' },
      },
      (err, data) => (err ? reject(err) : resolve(data as T)),
    );
  });
}

const inspectSwarm = (d: Dockerode, abortSignal: AbortSignal): Promise<unknown> =>
  (d.swarmInspect as unknown as (opts: object) => Promise<unknown>).call(d, { abortSignal });
