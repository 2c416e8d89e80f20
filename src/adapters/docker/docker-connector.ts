/**
 * The real way to an endpoint: `/_ping` over node:https and dockerode's
 * modem, both with the cluster's client certificate (mutual TLS, never
 * unverified).
 */
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate as TlsPeerCertificate, type TLSSocket } from 'node:tls';
import createDebug from 'debug';
import Dockerode from 'dockerode';
import { CERT_PIN_MISMATCH } from './docker-errors.js';
import type { DialRequest, DockerApi, Endpoint, EndpointConnector, PeerCertificate } from './docker-endpoint.js';

/**
 * docker-modem logs every request's options (our client key among them) and
 * every answer (join tokens) through `debug` under `modem` whenever DEBUG
 * names it. That output must never exist: `modem` is off whatever DEBUG says,
 * and stays off when something enables namespaces later. This is the `debug`
 * instance docker-modem requires (one copy in node_modules, one in a bundle);
 * the unit test checks it with DEBUG=modem*.
 */
function silenceModemDebug(): void {
  const modem = /^modem(?::|$)/;
  const enabled = createDebug.enabled.bind(createDebug);
  createDebug.enabled = (name) => !modem.test(name) && enabled(name);
  // a changed namespace list also makes every logger re-check whether it is enabled
  createDebug.enable([createDebug.disable(), '-modem*'].filter(Boolean).join(','));
}
silenceModemDebug();

export interface TlsCredentials {
  ca: string;
  cert: string;
  key: string;
}

/** Docker's successes; anything else rejects with `statusCode` and Docker's `json`. */
const SUCCESS = { 200: true, 201: true, 204: true } as const;

type ModemDial = (opts: object, cb: (err: unknown, data: unknown) => void) => void;

function modemApi(docker: Dockerode): DockerApi {
  const modem = docker.modem as unknown as { dial: ModemDial };
  return {
    dial<T>(req: DialRequest): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        modem.dial(
          {
            // query and body are always passed apart: the modem would build both from one object otherwise
            path: `${req.path}?`,
            method: req.method,
            options: { _query: req.query ?? {}, ...(req.method === 'POST' ? { _body: req.body ?? {} } : {}) },
            abortSignal: req.signal,
            statusCodes: SUCCESS,
          },
          (err, data) => (err ? reject(err) : resolve(data as T)),
        );
      });
    },
  };
}

const normalisedFingerprint = (f: string | undefined) => (f ? f.replace(/:/g, '').toLowerCase() : undefined);

/** The CA's checks, then one more on every handshake: the daemon's certificate is exactly this one. */
function pinnedTo(fingerprint: string) {
  return (host: string, cert: TlsPeerCertificate): Error | undefined =>
    checkServerIdentity(host, cert) ??
    (normalisedFingerprint(cert.fingerprint256) === fingerprint
      ? undefined
      : Object.assign(new Error(`the daemon's TLS certificate is not the one it presented before (SHA-256 ${normalisedFingerprint(cert.fingerprint256)?.slice(0, 16)}…)`), { code: CERT_PIN_MISMATCH }));
}

export function tlsConnector(creds: TlsCredentials): EndpointConnector {
  // its own agent: a socket kept alive in the shared pool (made before, unpinned) would skip the check
  const pinnedOptions = (pin: string) => {
    const checkServerIdentity = pinnedTo(pin);
    return { checkServerIdentity, agent: new https.Agent({ keepAlive: true, maxCachedSessions: 0, ca: creds.ca, cert: creds.cert, key: creds.key, checkServerIdentity }) };
  };
  return {
    ping(ep: Endpoint, signal: AbortSignal) {
      return new Promise((resolve, reject) => {
        const req = https.request(
          { host: ep.host, port: ep.port, path: '/_ping', method: 'GET', ca: creds.ca, cert: creds.cert, key: creds.key, signal, agent: false },
          (res) => {
            const peer = (res.socket as TLSSocket).getPeerCertificate?.();
            const cert: PeerCertificate = {
              ...(peer?.valid_to ? { expiresAt: new Date(peer.valid_to) } : {}),
              ...(peer?.fingerprint256 ? { fingerprint: normalisedFingerprint(peer.fingerprint256) } : {}),
            };
            const apiVersion = String(res.headers['api-version'] ?? '1.41');
            res.resume();
            res.on('end', () => resolve({ apiVersion, cert }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    },
    client(ep: Endpoint, apiVersion: string, idleTimeoutMs: number, pin?: string) {
      return modemApi(
        new Dockerode({
          ...(pin ? pinnedOptions(pin) : {}),
          host: ep.host,
          port: ep.port,
          protocol: 'https',
          ca: creds.ca,
          cert: creds.cert,
          key: creds.key,
          version: `v${apiVersion}`,
          // how long a socket may stay silent, not a limit of the whole call
          timeout: idleTimeoutMs,
        }),
      );
    },
  };
}
