/**
 * One watch pass against the lab: its time and how many Docker API requests
 * it makes, against the same run's `docker node ls` through the docker CLI
 * (timed as a process, its requests counted by a small proxy in front of a
 * manager's socket). The first pass also checks the certificates (each
 * manager's `/info`) and opens the TLS connections; later passes are what
 * a warm function does every minute.
 */
import { performance } from 'node:perf_hooks';
import { createStateClient, DynamoState } from '../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../src/adapters/aws/dynamo-watch.js';
import { startLocalDynamo } from '../src/adapters/local/local-dynamo.js';
import { composeLocalWatch } from '../src/composition/watch-root.js';
import type { ChatPort, ClusterCredentials } from '../src/ports.js';
import { countingSwarm, countRequests, median, run } from './lib.js';

interface Lab {
  nodes: Array<{ name: string; role: string; socket: string }>;
}

export interface WatchBench {
  nodes: number;
  firstPass: { ms: number; calls: number };
  pass: { p50: number; calls: number };
  cli: { p50: number; calls: number };
}

export async function benchWatchPass(lab: Lab, creds: ClusterCredentials, passes = 20): Promise<WatchBench> {
  const { swarm, calls, reset } = countingSwarm(creds);
  const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-bench-state' });
  const doc = createStateClient(dynamo.clientConfig);
  const store = { incidents: new DynamoWatchStore(doc, dynamo.tableName), claims: new DynamoState(doc, dynamo.tableName) };
  const silent: ChatPort = { respond: async () => undefined, post: async () => ({ ts: '1.0' }), update: async () => undefined, upload: async () => undefined };
  const watch = composeLocalWatch({ creds, store, chat: silent, graceMinutes: 3, swarm });
  try {
    const t = performance.now();
    await watch({});
    const firstPass = { ms: performance.now() - t, calls: calls() };
    const times: number[] = [];
    reset();
    for (let i = 0; i < passes; i++) {
      const s = performance.now();
      await watch({});
      times.push(performance.now() - s);
    }
    const nodes = (await swarm.nodes.list()).length;
    return { nodes, firstPass, pass: { p50: median(times), calls: calls() / passes }, cli: await cliNodeLs(lab) };
  } finally {
    await dynamo.close();
  }
}

/** `docker node ls` as an operator types it, against the first manager, through a proxy that counts its requests. */
async function cliNodeLs(lab: Lab, runs = 10): Promise<{ p50: number; calls: number }> {
  const cli = process.env.SWARM_LAB_DOCKER_CLI ?? '/usr/bin/docker';
  const env = { ...process.env, DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '', DOCKER_CONFIG: '/nonexistent' };
  const times: number[] = [];
  const calls = await countRequests(lab.nodes.find((n) => n.role === 'manager')!.socket, async (host) => {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await run(cli, ['-H', host, 'node', 'ls'], { env, timeout: 20_000 });
      times.push(performance.now() - t);
    }
  });
  return { p50: median(times), calls: calls / runs };
}
