/** What every bench section shares: timing, percentiles, child processes, the lab, bundling like serverless.yml. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import type { ClusterCredentials, Swarm } from '../src/ports.js';
import { DockerSwarm } from '../src/adapters/docker/docker-swarm.js';
import { tlsConnector } from '../src/adapters/docker/docker-connector.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const LAB_DIR = process.env.SWARM_LAB_DIR ?? '/tmp/swarm-ops-lab';
export const run = promisify(execFile);

/** One line of the table: a figure, the baseline measured in the same run, their ratio (and a target when there is one). */
export interface Row {
  section: string;
  measure: string;
  value: string;
  baseline: string;
  /** value ÷ baseline; undefined when the row is a count or a check */
  ratio?: number;
  target?: string;
  /** the raw numbers, for the JSON file */
  data?: Record<string, unknown>;
}

export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
export const median = (xs: number[]) => pct(xs, 50);
export const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`);
export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export async function timeMany(n: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * A fresh node process running `code` (CommonJS, `-e`), asynchronously so
 * that stand-ins served by this process can answer it. Returns its wall time
 * from spawn to exit and the JSON line it printed last.
 */
export function nodeProcess<T>(code: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ wallMs: number; out: T }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [...args, '-e', code], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - t;
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`child exited ${code}: ${stderr.slice(-2000)} ${stdout.slice(-500)}`));
      resolve({ wallMs, out: JSON.parse(last) as T });
    });
  });
}

/** esbuild with the options serverless.yml gives serverless-esbuild (read from it, so the two cannot drift). */
/** Bundles `entry` as serverless-esbuild would, with the esbuild settings and plugins of `tree` (this repository unless told), and any `extraPlugins` (files) after them. */
export async function bundleLikeServerless(entry: string, outfile: string, tree = ROOT, extraPlugins: string[] = []): Promise<{ bytes: number; metafile: unknown }> {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const sls = parse(readFileSync(path.join(tree, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { custom: { esbuild: Record<string, unknown> } };
  const { bundle, minify, sourcemap, target, platform, format, plugins, mainFields } = sls.custom.esbuild as {
    bundle: boolean;
    minify: boolean;
    sourcemap: boolean;
    target: string;
    platform: 'node';
    format: 'cjs';
    plugins: string;
    mainFields?: string[];
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle,
    minify,
    sourcemap,
    target,
    platform,
    format,
    plugins: [...require(path.join(tree, plugins)), ...extraPlugins.flatMap((p) => require(p))],
    ...(mainFields ? { mainFields } : {}),
    metafile: true,
    logLevel: 'error',
  });
  return { bytes: readFileSync(outfile).length, metafile: result.metafile };
}

// ---- the lab ------------------------------------------------------------------

export interface LabJson {
  nodes: Array<{ name: string; role: string; url: string; socket: string; netns: string }>;
  tls: { ca: string; cert: string; key: string };
  probeImage: string;
}

export function readLab(): LabJson | undefined {
  const file = path.join(LAB_DIR, 'lab.json');
  if (!existsSync(file)) return undefined;
  const lab = JSON.parse(readFileSync(file, 'utf8')) as LabJson;
  return lab.nodes.every((n) => existsSync(n.socket)) ? lab : undefined;
}

export const labCreds = (lab: LabJson): ClusterCredentials => ({
  endpoints: lab.nodes.filter((n) => n.role === 'manager').map((n) => n.url),
  ca: readFileSync(lab.tls.ca, 'utf8'),
  cert: readFileSync(lab.tls.cert, 'utf8'),
  key: readFileSync(lab.tls.key, 'utf8'),
});

export const labSh = (...args: string[]) => run('bash', [path.join(ROOT, 'test/lab/lab.sh'), ...args], { timeout: 300_000, maxBuffer: 16 << 20 });

/** The lab is shared: never start or stop it while another test run uses it (polled every 30 s). */
export async function waitForLabFree(say: (s: string) => void): Promise<void> {
  for (;;) {
    const { stdout } = await run('pgrep', ['-f', 'vitest run']).catch(() => ({ stdout: '' }));
    if (!stdout.trim()) return;
    say('the lab is in use by a test run (vitest); waiting 30 s');
    await new Promise((r) => setTimeout(r, 30_000));
  }
}

/** A DockerSwarm over the real TLS connector that counts the requests it makes. */
export function countingSwarm(creds: ClusterCredentials): { swarm: Swarm; calls: () => number; reset: () => void } {
  let calls = 0;
  const tls = tlsConnector(creds);
  const swarm = new DockerSwarm(creds, {
    connector: {
      ping: (ep, signal) => (calls++, tls.ping(ep, signal)),
      client: (ep, version, idle) => {
        const api = tls.client(ep, version, idle);
        return { dial: (req) => (calls++, api.dial(req)) };
      },
    },
  });
  return { swarm, calls: () => calls, reset: () => void (calls = 0) };
}

/**
 * Runs `use` with a plain-HTTP endpoint in front of a daemon's unix socket
 * (`tcp://127.0.0.1:<port>`) and returns how many API requests went through
 * it: how the docker CLI's requests are counted.
 */
export async function countRequests(socketPath: string, use: (host: string) => Promise<void>): Promise<number> {
  let calls = 0;
  const proxy = http.createServer((req, res) => {
    calls++;
    const out = http.request({ socketPath, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    // the CLI runs asynchronously: the proxy answering it lives in this process
    await use(`tcp://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  }
  return calls;
}

const CLI = process.env.SWARM_LAB_DOCKER_CLI ?? '/usr/bin/docker';

/** the docker CLI as an operator runs it: its own process, TLS to one manager (or plain HTTP to a proxy), no config of its own */
export function dockerCli(lab: LabJson, host: string, tls: boolean, ...args: string[]) {
  const tlsArgs = tls ? ['--tlsverify', '--tlscacert', lab.tls.ca, '--tlscert', lab.tls.cert, '--tlskey', lab.tls.key] : [];
  return run(CLI, ['-H', host, ...tlsArgs, ...args], { env: { ...process.env, DOCKER_CONFIG: '/nonexistent', DOCKER_HOST: '', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '' }, timeout: 30_000 });
}

/** the docker CLI on a daemon's own unix socket (setting up what a benchmark reads) */
export const socketCli = (socket: string, ...args: string[]) => run(CLI, ['-H', `unix://${socket}`, ...args], { timeout: 60_000 });
