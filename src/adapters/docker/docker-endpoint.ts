/**
 * What a Docker endpoint is and how one is reached: the seam between the
 * transport (docker-transport.ts) and the connector that speaks TLS and
 * dockerode (docker-connector.ts), or a fake in unit tests.
 */
import { SwarmError } from '../../errors.js';

export interface Endpoint {
  url: string;
  host: string;
  port: number;
}

export function parseEndpoint(url: string): Endpoint {
  const m = /^(?:tcp|https):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url.trim());
  if (!m) throw new SwarmError('VALIDATION', `\`${url}\` is not a Docker API URL; use tcp://HOST:PORT`);
  return { url: url.trim(), host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export const compareVersions = (a: string, b: string) => {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

/** The daemon's TLS certificate as seen on the connection. */
export interface PeerCertificate {
  expiresAt?: Date;
  /** SHA-256, lowercase hex without colons */
  fingerprint?: string;
}

export interface DialRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  signal: AbortSignal;
}

/** One daemon's Engine API: Docker's refusals reject with `statusCode` and `json`, like docker-modem's. */
export interface DockerApi {
  dial<T>(req: DialRequest): Promise<T>;
}

export interface EndpointConnector {
  /** `GET /_ping`: the daemon's newest API version and its certificate */
  ping(ep: Endpoint, signal: AbortSignal): Promise<{ apiVersion: string; cert: PeerCertificate }>;
  /**
   * a client speaking `apiVersion`; `idleTimeoutMs` is how long its sockets may stay silent;
   * with `pin` (a SHA-256 fingerprint) every handshake also refuses any other daemon certificate
   */
  client(ep: Endpoint, apiVersion: string, idleTimeoutMs: number, pin?: string): DockerApi;
}
