/**
 * A watch pass over synthetic swarms of 20 nodes with no service, 100 and
 * 1,000 healthy services of 10 tasks, and 1,000 of which 70 fail: its time, its Docker requests (constant:
 * the services with their status and the tasks, whatever their number) and
 * its table writes (what changed, not what exists) — the real adapter over
 * an endpoint that answers from JSON, the real watch, the table on dynalite.
 */
import { performance } from 'node:perf_hooks';
import { createStateClient, DynamoState } from '../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../src/adapters/aws/dynamo-watch.js';
import { DockerSwarm } from '../src/adapters/docker/docker-swarm.js';
import { startLocalDynamo } from '../src/adapters/local/local-dynamo.js';
import { composeLocalWatch } from '../src/composition/watch-root.js';
import type { ChatPort } from '../src/ports.js';
import { median, ms, type Row } from './lib.js';
import { servicesJson } from './services.js';
import { dockerNodesJson, infoJson } from './synthetic.js';

const NODES = 20;
const SWARM = { ID: 'cluster1', Version: { Index: 1 }, Spec: { CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 }, EncryptionConfig: { AutoLockManagers: false } }, TLSInfo: { TrustRoot: '', CertIssuerSubject: 'MBMxETAPBgNVBAMTCHN3YXJtLWNh', CertIssuerPublicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' }, RootRotationInProgress: false };

function syntheticSwarm(services: number, healthy: boolean) {
  const json = services ? servicesJson(services, { healthy }) : { services: '[]', tasks: '[]' };
  const nodes = dockerNodesJson(NODES);
  let calls = 0;
  const swarm = new DockerSwarm(
    { endpoints: ['tcp://mgr-1:2376'], ca: '', cert: '', key: '' },
    {
      connector: {
        ping: async () => (calls++, { apiVersion: '1.41', cert: {} }),
        client: () => ({
          dial: async (req) => {
            calls++;
            if (req.path === '/nodes') return JSON.parse(nodes);
            if (req.path === '/services') return JSON.parse(json.services);
            if (req.path === '/tasks') return JSON.parse(json.tasks);
            if (req.path === '/swarm') return SWARM;
            if (req.path === '/info') return infoJson(NODES, 3);
            throw Object.assign(new Error(`not here: ${req.path}`), { statusCode: 404 });
          },
        }),
      },
    },
  );
  return { swarm, calls: () => calls, reset: () => void (calls = 0) };
}

export async function watchServices(passes = 10): Promise<Row[]> {
  const rows: Row[] = [];
  let alone = 0;
  const cases = [
    { n: 0, healthy: true },
    { n: 100, healthy: true },
    { n: 1000, healthy: true },
    // one in 20 below desired, one in 50 crash-looping: incidents within their grace period
    { n: 1000, healthy: false },
  ];
  for (const { n, healthy } of cases) {
    const s = syntheticSwarm(n, healthy);
    const dynamo = await startLocalDynamo({ tableName: `swarm-ops-bench-watch-${n}-${healthy ? 'ok' : 'bad'}` });
    const doc = createStateClient(dynamo.clientConfig);
    // every write to the table, counted
    let writes = 0;
    const send = doc.send.bind(doc);
    doc.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
      if (/Put|Delete|Update|BatchWrite/.test(command.constructor.name)) writes++;
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof doc.send;
    const store = { incidents: new DynamoWatchStore(doc, dynamo.tableName), claims: new DynamoState(doc, dynamo.tableName) };
    const silent: ChatPort = { respond: async () => undefined, post: async () => ({ ts: '1.0' }), update: async () => undefined, upload: async () => undefined };
    const watch = composeLocalWatch({ creds: { endpoints: [], ca: '', cert: '', key: '' }, store, chat: silent, graceMinutes: 3, swarm: s.swarm });
    try {
      const t = performance.now();
      await watch({});
      const first = { ms: performance.now() - t, writes };
      s.reset();
      writes = 0;
      const times: number[] = [];
      for (let i = 0; i < passes; i++) {
        const p = performance.now();
        await watch({});
        times.push(performance.now() - p);
      }
      const p50 = median(times);
      if (n === 0) alone = p50;
      const section = n ? `watch pass, ${n.toLocaleString('en')} services${healthy ? '' : ' (70 failing)'}, ${NODES} nodes` : `watch pass, ${NODES} nodes, no service`;
      rows.push(
        { section, measure: 'a later pass (nothing changed), p50', value: ms(p50), baseline: n ? `no service ${ms(alone)}` : '-', ...(n ? { ratio: p50 / alone } : {}), data: { times } },
        { section, measure: '  Docker requests per pass', value: String(s.calls() / passes), baseline: `${n} services`, target: 'the same whatever n' },
        { section, measure: '  table writes: first pass / each later pass', value: `${first.writes} / ${writes / passes}`, baseline: `first pass ${ms(first.ms)}` },
      );
    } finally {
      await dynamo.close();
    }
  }
  return rows;
}
