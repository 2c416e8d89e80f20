/**
 * One watch pass against the lab: its time and how many Docker API requests
 * it makes, against the same run's `docker node ls` through the docker CLI
 * (timed as a process, its requests counted by a small proxy in front of a
 * manager's socket). The first pass also checks the certificates (each
 * manager's `/info`) and opens the TLS connections; later passes are what
 * a warm function does every minute.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { tlsConnector } from '../src/adapters/docker-connector.js';
import { createStateClient, DynamoState } from '../src/adapters/dynamo-state.js';
import { DockerSwarm } from '../src/adapters/docker-swarm.js';
import { startLocalDynamo } from '../src/adapters/local-dynamo.js';
import { composeLocalWatch } from '../src/composition/watch.js';
import type { ChatPort, ClusterCredentials } from '../src/ports.js';

interface Lab {
  nodes: Array<{ name: string; role: string; socket: string }>;
}

export interface WatchBench {
  nodes: number;
  firstPass: { ms: number; calls: number };
  pass: { p50: number; calls: number };
  cli: { p50: number; calls: number };
}

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchWatchPass(lab: Lab, creds: ClusterCredentials, passes = 20): Promise<WatchBench> {
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
  const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-bench-state' });
  const state = new DynamoState(createStateClient(dynamo.clientConfig), dynamo.tableName);
  const silent: ChatPort = { respond: async () => undefined, post: async () => ({ ts: '1.0' }), update: async () => undefined, upload: async () => undefined };
  const watch = composeLocalWatch({ creds, store: state, chat: silent, graceMinutes: 3, swarm });
  try {
    const t = performance.now();
    await watch({});
    const firstPass = { ms: performance.now() - t, calls };
    const times: number[] = [];
    calls = 0;
    for (let i = 0; i < passes; i++) {
      const s = performance.now();
      await watch({});
      times.push(performance.now() - s);
    }
    const nodes = (await swarm.nodes.list()).length;
    return { nodes, firstPass, pass: { p50: median(times), calls: calls / passes }, cli: await cliNodeLs(lab) };
  } finally {
    await dynamo.close();
  }
}

/** `docker node ls` as an operator types it, against the first manager, through a proxy that counts its requests. */
async function cliNodeLs(lab: Lab, runs = 10): Promise<{ p50: number; calls: number }> {
  const socketPath = lab.nodes.find((n) => n.role === 'manager')!.socket;
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
  const host = `tcp://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const cli = process.env.SWARM_LAB_DOCKER_CLI ?? '/usr/bin/docker';
  const env = { ...process.env, DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '', DOCKER_CONFIG: '/nonexistent' };
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      // asynchronously: the proxy answering the CLI lives in this process
      await run(cli, ['-H', host, 'node', 'ls'], { env, timeout: 20_000 });
      times.push(performance.now() - t);
    }
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  }
  return { p50: median(times), calls: calls / runs };
}
