/**
 * How swarm-ops reaches the managers: API version negotiation, time limits
 * and fail-over. Every Docker call of the adapter goes through `call` (a
 * manager) or `daemon` (one daemon, e.g. a node about to join); what an
 * endpoint is made of comes from an `EndpointConnector`, real (TLS and
 * dockerode, docker-connector.ts) or a fake in unit tests.
 */
import { SwarmError } from '../../errors.js';
import type { ClusterCredentials } from '../../ports.js';
import { CERT_PIN_MISMATCH, classify, describeFailure, isTimeout, lostLeadership, mayHaveArrived, statusOf, type EndpointFailure } from './docker-errors.js';
import { tlsConnector } from './docker-connector.js';
import { compareVersions, parseEndpoint, type DialRequest, type DockerApi, type Endpoint, type EndpointConnector, type PeerCertificate } from './docker-endpoint.js';

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
  /** how endpoints are reached; the default speaks mutual TLS with the cluster's credentials */
  connector?: EndpointConnector;
}

export interface Connection {
  api: DockerApi;
  apiVersion: string;
  cert: PeerCertificate;
}

/** One endpoint within one call: every request carries the call's time limit. */
export interface Session {
  readonly endpoint: string;
  readonly apiVersion: string;
  readonly cert: PeerCertificate;
  get<T>(path: string, query?: DialRequest['query']): Promise<T>;
  post<T>(path: string, body: unknown, query?: DialRequest['query']): Promise<T>;
  delete<T>(path: string, query?: DialRequest['query']): Promise<T>;
}

export function openSession(endpoint: string, conn: Connection, signal: AbortSignal): Session {
  const dial = <T>(method: DialRequest['method'], path: string, query?: DialRequest['query'], body?: unknown) =>
    conn.api.dial<T>({ method, path, signal, ...(query ? { query } : {}), ...(body === undefined ? {} : { body }) });
  return {
    endpoint,
    apiVersion: conn.apiVersion,
    cert: conn.cert,
    get: (path, query) => dial('GET', path, query),
    post: (path, body, query) => dial('POST', path, query, body),
    delete: (path, query) => dial('DELETE', path, query),
  };
}

interface Failure {
  ep: Endpoint;
  kind: EndpointFailure;
  why: string;
}

export class DockerTransport {
  activeEndpoint: string | undefined;
  readonly endpoints: Endpoint[];
  readonly callTimeoutMs: number;
  readonly probeTimeoutMs: number;
  private readonly failoverBudgetMs: number;
  private readonly connectTimeoutMs: number;
  private readonly connector: EndpointConnector;
  private readonly connections = new Map<string, Promise<Connection>>();

  constructor(creds: ClusterCredentials, opts: DockerSwarmOptions = {}) {
    if (!creds.endpoints.length) throw new SwarmError('VALIDATION', 'This cluster has no manager endpoints configured.');
    this.endpoints = creds.endpoints.map(parseEndpoint);
    this.callTimeoutMs = opts.callTimeoutMs ?? 4000;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 2500;
    this.failoverBudgetMs = opts.failoverBudgetMs ?? 6000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1500;
    this.connector = opts.connector ?? tlsConnector(creds);
  }

  /** A negotiated client for one endpoint, kept for the next calls. */
  connection(ep: Endpoint, signal: AbortSignal): Promise<Connection> {
    let c = this.connections.get(ep.url);
    if (!c) {
      c = this.connector.ping(ep, signal).then(({ apiVersion, cert }) => {
        const version = compareVersions(apiVersion, OUR_API_VERSION) < 0 ? apiVersion : OUR_API_VERSION;
        return { api: this.connector.client(ep, version, this.callTimeoutMs), apiVersion: version, cert };
      });
      // a failed negotiation is retried on the next call rather than remembered
      c.catch(() => this.connections.delete(ep.url));
      this.connections.set(ep.url, c);
    }
    return c;
  }

  async session(ep: Endpoint, signal: AbortSignal): Promise<Session> {
    return openSession(ep.url, await this.connection(ep, signal), signal);
  }

  answersPing(ep: Endpoint, signal = AbortSignal.timeout(Math.min(1000, this.connectTimeoutMs))): Promise<boolean> {
    return this.connector.ping(ep, signal).then(
      () => true,
      () => false,
    );
  }

  /** Endpoints in order, starting with the one that answered last. */
  private ordered(): Endpoint[] {
    const i = this.endpoints.findIndex((e) => e.url === this.activeEndpoint);
    return i <= 0 ? this.endpoints : [...this.endpoints.slice(i), ...this.endpoints.slice(0, i)];
  }

  /**
   * Runs one call against the first manager that answers. An endpoint that is
   * down, times out, is not a manager, is locked (autolock) or (being cut
   * off) has no leader is skipped; Docker's answers to the call itself are
   * returned as they are.
   *
   * A write is only sent again to the next manager when the first one surely
   * did not get it (no connection, TLS refused, "not a manager", "locked",
   * "no leader").
   * A write that timed out after it was sent may have been committed by Raft:
   * that is an UNCERTAIN error, which the caller settles by reading back.
   */
  async call<T>(fn: (s: Session) => Promise<T>, opts: { write?: boolean; /** a longer limit for one slow read (a service's logs) */ timeoutMs?: number } = {}): Promise<T> {
    const started = Date.now();
    const failures: Failure[] = [];
    for (const ep of this.ordered()) {
      const remaining = this.failoverBudgetMs - (Date.now() - started);
      if (failures.length && remaining < 300) break;
      const signal = AbortSignal.timeout(opts.timeoutMs ?? Math.max(300, Math.min(this.callTimeoutMs, remaining)));
      let conn: Connection;
      try {
        // a dead or black-holed endpoint fails here, quickly, before anything is sent
        conn = await this.connection(ep, AbortSignal.any([signal, AbortSignal.timeout(this.connectTimeoutMs)]));
      } catch (err) {
        const kind = classify(err) ?? 'unreachable';
        failures.push({ ep, kind, why: describeFailure(kind, err) });
        continue;
      }
      try {
        const result = await fn(openSession(ep.url, conn, signal));
        this.activeEndpoint = ep.url;
        return result;
      } catch (err) {
        failures.push(await this.skippable(ep, err, opts.write ?? false));
      }
    }
    throw this.exhausted(failures);
  }

  /** Why `ep` is passed over after `err`; throws when the call must end here instead. */
  private async skippable(ep: Endpoint, err: unknown, write: boolean): Promise<Failure> {
    let kind = classify(err);
    if (!kind) throw err;
    if (write && lostLeadership(err)) {
      throw new SwarmError(
        'UNCERTAIN',
        `The swarm lost its leader (${ep.url}) while the change was being committed. Raft keeps it and may still apply it once enough managers are back, ` +
          'so it may or may not happen. When `/swarm status` shows a leader again, check with `/swarm nodes` before trying again.',
        { cause: err },
      );
    }
    if (write && mayHaveArrived(err)) {
      throw new SwarmError('UNCERTAIN', `${ep.url} did not confirm the change in time (${describeFailure(kind, err)}); it may or may not have happened.`, {
        cause: err,
      });
    }
    // Without a leader, a manager's swarm calls hang until a deadline while the daemon
    // itself still answers: a time-out from a live daemon means "no leader", not "down".
    if (kind === 'unreachable' && isTimeout(err) && (await this.answersPing(ep))) kind = 'no-leader';
    return { ep, kind, why: kind === 'no-leader' && isTimeout(err) ? 'swarm API timed out (daemon up)' : describeFailure(kind, err) };
  }

  private exhausted(failures: Failure[]): SwarmError {
    const list = failures.map((f) => `${f.ep.url}: ${f.why}`).join('; ');
    const untried = this.endpoints.length - failures.length;
    const more = untried > 0 ? ` (${untried} more endpoint${untried > 1 ? 's' : ''} not tried within the time limit)` : '';
    if (failures.some((f) => f.kind === 'no-leader')) return new SwarmError('QUORUM_LOST', `The swarm has no leader (${list})${more}.`);
    if (failures.every((f) => f.kind === 'tls')) {
      return new SwarmError(
        'TLS',
        `TLS to the managers failed (${list}). The CA, client certificate or key stored for this cluster do not match the daemons'. ` +
          "Fix the cluster's `ca`, `cert` and `key` parameters in SSM; swarm-ops never falls back to an unverified connection.",
      );
    }
    if (failures.every((f) => f.kind === 'locked')) {
      return new SwarmError(
        'ENDPOINTS_UNREACHABLE',
        `Every manager that answered is locked (autolock) (${list})${more}. Unlock them one by one with \`/swarm unlock <manager>\`.`,
      );
    }
    if (failures.every((f) => f.kind === 'not-manager')) {
      return new SwarmError('NOT_A_MANAGER', `None of the configured endpoints is a swarm manager (${list}). Update the cluster's endpoints in SSM.`);
    }
    return new SwarmError(
      'ENDPOINTS_UNREACHABLE',
      `No manager endpoint answered (${list})${more}. Check that the managers are running and reachable from swarm-ops.`,
    );
  }

  /**
   * A connection to one daemon that is not necessarily a manager (a node about
   * to join), with the cluster's client certificate. `idleTimeoutMs` lets a
   * slow call (a join answers only when done) keep a silent socket open;
   * `pin` holds every handshake of its sessions to that certificate.
   */
  async daemon(url: string, idleTimeoutMs = this.callTimeoutMs, pin?: string): Promise<{ ep: Endpoint; session: (signal: AbortSignal) => Session }> {
    const ep = parseEndpoint(url);
    const conn = await this.connection(ep, AbortSignal.timeout(this.callTimeoutMs)).catch((err: unknown) => {
      throw this.daemonError(url, err);
    });
    const api = idleTimeoutMs === this.callTimeoutMs && !pin ? conn.api : this.connector.client(ep, conn.apiVersion, idleTimeoutMs, pin);
    return { ep, session: (signal) => openSession(ep.url, { ...conn, api }, signal) };
  }

  /**
   * A write to one daemon: Docker's refusals (they carry a status) are the
   * caller's to map; a failure after the request may have left is UNCERTAIN;
   * one before any answer is the daemon's (unreachable, TLS).
   */
  async daemonWrite<T>(url: string, what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (statusOf(err) !== undefined) throw err;
      // a pinned client refused the handshake: the request (and the secret in it) never left
      if ((err as { code?: string })?.code === CERT_PIN_MISMATCH) {
        throw new SwarmError('CONFLICT', `The daemon at ${url} presented another TLS certificate than the one seen before ${what}, so nothing was sent to it and nothing was changed. Run the command again to look at it anew.`, { cause: err });
      }
      if (mayHaveArrived(err)) throw new SwarmError('UNCERTAIN', `${url} did not confirm ${what} in time; it may or may not have happened.`, { cause: err });
      throw this.daemonError(url, err);
    }
  }

  daemonError(url: string, err: unknown): SwarmError {
    if ((err as { code?: string })?.code === CERT_PIN_MISMATCH) {
      return new SwarmError('CONFLICT', `The daemon at ${url} presented another TLS certificate than the one seen before, so nothing was sent to it and nothing was changed. Run the command again to look at it anew.`, { cause: err });
    }
    const kind = classify(err) ?? 'unreachable';
    if (kind === 'tls') {
      return new SwarmError(
        'TLS',
        `TLS to ${url} failed (${describeFailure(kind, err)}). Its daemon must use a certificate signed by this cluster's CA and trust the same CA for clients.`,
      );
    }
    return new SwarmError(
      'ENDPOINTS_UNREACHABLE',
      `Can't reach the Docker API at ${url} (${describeFailure(kind, err)}). Check the address and that dockerd listens there with TLS.`,
    );
  }
}
