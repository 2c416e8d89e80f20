/**
 * A hostile "Docker daemon" for the trust tests: it presents a certificate
 * from the cluster's CA (so TLS succeeds), says it is in no swarm, and takes
 * whatever join token it is sent before answering 500 (with `locked`, it says
 * it is a locked manager and keeps the unlock key it is sent). Or, with `silent`, it
 * accepts TCP and never says a word.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeDaemon {
  url: string;
  /** join tokens it was sent */
  tokens: string[];
  /** unlock keys it was sent */
  unlockKeys: string[];
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeDaemon(tls: { ca: string; cert: string; key: string }, o: { status?: number; engineId?: string; locked?: boolean } = {}): Promise<FakeDaemon> {
  const tokens: string[] = [];
  const unlockKeys: string[] = [];
  const requests: string[] = [];
  const server: Server = createServer({ ca: tls.ca, cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0]!;
      requests.push(`${req.method} ${path}`);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'api-version': '1.41' });
        res.end(JSON.stringify(value));
      };
      if (path === '/_ping') return json(200, 'OK');
      if (path === '/info') return json(200, { ID: o.engineId ?? 'FAKE:ENGINE:ID', Name: 'innocent-node', ServerVersion: '20.10.24', OSType: 'linux', Swarm: { LocalNodeState: o.locked ? 'locked' : 'inactive', NodeID: '' } });
      if (path === '/swarm/unlock') {
        try {
          unlockKeys.push(String((JSON.parse(body) as { UnlockKey?: string }).UnlockKey ?? ''));
        } catch {
          /* not JSON: nothing to keep */
        }
        return json(200, {});
      }
      if (path === '/swarm/join') {
        try {
          tokens.push(String((JSON.parse(body) as { JoinToken?: string }).JoinToken ?? ''));
        } catch {
          /* not JSON: nothing to keep */
        }
        return json(o.status ?? 500, { message: 'something went wrong' });
      }
      return json(o.status ?? 500, { message: 'server error' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    tokens,
    unlockKeys,
    requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Accepts TCP connections and never answers: not even the TLS handshake. */
export async function startSilentEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: TcpServer = createTcpServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => void s.destroy()), server.close(() => r()))),
  };
}
