import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsConnector } from '../../../src/adapters/docker/docker-connector.js';
import { makeTls, type TlsFixture } from '../../support/tls-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-leaked';

let tls: TlsFixture;
let server: https.Server;
let port: number;
/** requests that reached the stand-in past the handshake */
let requests = 0;

beforeAll(async () => {
  tls = makeTls();
  // a daemon stand-in with mutual TLS: /_ping as dockerd answers it, /swarm with a join token in it
  server = https.createServer({ ...tls.server, ca: tls.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    requests++;
    if (req.url === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.43', 'Content-Type': 'text/plain' }).end('OK');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ JoinTokens: { Worker: TOKEN } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tls.dir, { recursive: true, force: true });
});

const ep = () => ({ url: `tcp://127.0.0.1:${port}`, host: '127.0.0.1', port });

describe('the TLS connector', () => {
  it("pings with the client certificate: the daemon's API version and its certificate's SHA-256 fingerprint", async () => {
    const { apiVersion, cert } = await tlsConnector({ ca: tls.ca, ...tls.client }).ping(ep(), AbortSignal.timeout(3000));
    const expected = new X509Certificate(tls.server.cert);
    expect(apiVersion).toBe('1.43');
    expect(cert.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(cert.fingerprint).toBe(expected.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(cert.expiresAt).toEqual(new Date(expected.validTo));
  });

  it('never talks to a daemon whose certificate the CA did not sign', async () => {
    const other = makeTls();
    rmSync(other.dir, { recursive: true, force: true });
    const err = await tlsConnector({ ca: other.ca, ...tls.client }).ping(ep(), AbortSignal.timeout(3000)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/CERT|VERIFY|SIGNATURE|ISSUER/) });
  });

  it('a pinned client talks only to the daemon with that certificate: another one is refused in the handshake, before the request', async () => {
    const pin = new X509Certificate(tls.server.cert).fingerprint256.replace(/:/g, '').toLowerCase();
    const connector = tlsConnector({ ca: tls.ca, ...tls.client });
    expect(await connector.client(ep(), '1.43', 2000, pin).dial({ method: 'GET', path: '/swarm', signal: AbortSignal.timeout(3000) })).toEqual({ JoinTokens: { Worker: TOKEN } });
    const before = requests;
    const err = await connector
      .client(ep(), '1.43', 2000, 'ab'.repeat(32))
      .dial({ method: 'POST', path: '/swarm/join', body: { JoinToken: TOKEN }, signal: AbortSignal.timeout(3000) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CERT_PIN_MISMATCH' });
    expect(requests).toBe(before);
  });

  it('passes query and body apart and returns Docker JSON', async () => {
    const api = tlsConnector({ ca: tls.ca, ...tls.client }).client(ep(), '1.43', 2000);
    expect(await api.dial({ method: 'GET', path: '/swarm', signal: AbortSignal.timeout(3000) })).toEqual({ JoinTokens: { Worker: TOKEN } });
  });
});

/** Runs a script in a fresh Node (tsx) with DEBUG naming docker-modem's logger; all it printed. */
function runWithDebug(name: string, body: string): Promise<string> {
  const file = path.join(tls.dir, `${name}.mts`);
  const creds = JSON.stringify({ ca: tls.ca, ...tls.client });
  const header = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))});
const creds = ${creds};
const port = ${port};
`;
  writeFileSync(file, header + body);
  return new Promise((resolve, reject) => {
    execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [file],
      { cwd: ROOT, env: { ...process.env, DEBUG: 'modem*,swarm-ops-test', DEBUG_COLORS: 'no' }, timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout + stderr)),
    );
  });
}

describe('docker-modem debug output (DEBUG=modem*)', () => {
  const keyBody = () => tls.client.key.split('\n')[1]!;

  it('without our connector, dockerode prints the client key and the join token (so the check below means something)', async () => {
    const out = await runWithDebug(
      'plain-dockerode',
      `const Dockerode = require('dockerode');
const d = new Dockerode({ host: '127.0.0.1', port, protocol: 'https', ...creds, version: 'v1.43' });
await new Promise((resolve) => d.modem.dial({ path: '/swarm?', method: 'GET', options: {}, statusCodes: { 200: true } }, resolve));
`,
    );
    expect(out).toContain(keyBody());
    expect(out).toContain(TOKEN);
  }, 40_000);

  it('through our connector, a dial prints no key and no token, even after something enables modem again; other namespaces still print', async () => {
    const out = await runWithDebug(
      'our-connector',
      `const { tlsConnector } = await import(${JSON.stringify(path.join(ROOT, 'src/adapters/docker/docker-connector.ts'))});
const debug = require('debug');
const api = tlsConnector(creds).client({ url: 'tcp://127.0.0.1:' + port, host: '127.0.0.1', port }, '1.43', 2000);
const first = await api.dial({ method: 'GET', path: '/swarm', signal: AbortSignal.timeout(5000) });
debug.enable('modem,modem:*,swarm-ops-test');
await api.dial({ method: 'GET', path: '/swarm', signal: AbortSignal.timeout(5000) });
debug('swarm-ops-test')('other namespaces still log');
console.log('answered with', Object.keys(first).join(','));
`,
    );
    expect(out).toContain('answered with JoinTokens');
    expect(out).toContain('other namespaces still log');
    expect(out).not.toContain(keyBody());
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).not.toContain('SWMTKN');
    expect(out).not.toMatch(/\bmodem\b/);
  }, 40_000);
});
