/**
 * A fake of the transport's EndpointConnector (our own interface, not
 * dockerode): each endpoint answers `/_ping` and requests as a test says,
 * and every ping and request is counted per endpoint.
 */
import type { DialRequest, Endpoint, EndpointConnector, PeerCertificate } from '../../src/adapters/docker/docker-endpoint.js';

export type Answer = (req: DialRequest) => unknown;

export interface FakeDaemon {
  /** what `/_ping` does: answer (the default: API 1.47), refuse, fail TLS, or never answer */
  ping?: 'refuse' | 'tls' | 'hang' | { apiVersion: string; cert?: PeerCertificate };
  /** answers a request: a value, or a thrown/rejected error; `hang` waits for the call's time limit */
  answer?: Answer;
}

export const dockerError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });

export const netError = (code: string, message = code) => Object.assign(new Error(message), { code });

/** Never answers: rejects with the abort reason once the caller's time limit passes, as the modem does. */
export const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

export interface Sent extends Omit<DialRequest, 'signal'> {
  url: string;
}

export class FakeConnector implements EndpointConnector {
  readonly pings: Record<string, number> = {};
  readonly sent: Sent[] = [];
  readonly clients: Array<{ url: string; apiVersion: string; idleTimeoutMs: number; pin?: string }> = [];

  constructor(readonly daemons: Record<string, FakeDaemon>) {}

  private daemon(ep: Endpoint): FakeDaemon {
    const d = this.daemons[ep.url];
    if (!d) throw new Error(`no fake daemon at ${ep.url}`);
    return d;
  }

  async ping(ep: Endpoint, signal: AbortSignal) {
    this.pings[ep.url] = (this.pings[ep.url] ?? 0) + 1;
    const how = this.daemon(ep).ping ?? { apiVersion: '1.47' };
    if (how === 'refuse') throw netError('ECONNREFUSED', `connect ECONNREFUSED ${ep.host}:${ep.port}`);
    if (how === 'tls') throw netError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate');
    if (how === 'hang') return hang(signal);
    return { apiVersion: how.apiVersion, cert: how.cert ?? {} };
  }

  client(ep: Endpoint, apiVersion: string, idleTimeoutMs: number, pin?: string) {
    this.clients.push({ url: ep.url, apiVersion, idleTimeoutMs, ...(pin ? { pin } : {}) });
    return {
      dial: async <T>(req: DialRequest): Promise<T> => {
        const { signal, ...rest } = req;
        this.sent.push({ url: ep.url, ...rest });
        const answer = this.daemon(ep).answer;
        if (!answer) throw dockerError(404, `no answer for ${req.method} ${req.path}`);
        return (await Promise.race([answer(req), hang(signal)])) as T;
      },
    };
  }

  /** requests that reached `url`, optionally only those matching `method path` */
  to(url: string, what?: string): Sent[] {
    return this.sent.filter((s) => s.url === url && (!what || `${s.method} ${s.path}` === what));
  }
}

/** An answer that fails while the request is in flight: with `hang` it waits for the time limit. */
export const pending = (req: DialRequest) => hang(req.signal);

/** An answer by `METHOD /path`: a value, or a function of the request (which may throw or hang). */
export function routes(table: Record<string, unknown | Answer>): Answer {
  return (req) => {
    const route = table[`${req.method} ${req.path}`];
    if (route === undefined) throw dockerError(404, `no such route ${req.method} ${req.path}`);
    return typeof route === 'function' ? (route as Answer)(req) : route;
  };
}
