/**
 * `/swarm services`: synthetic swarms of 100 and 1,000 services (10 tasks
 * each) through the real Docker adapter (its JSON mapping), the action and
 * the Block Kit renderer, counting the Docker requests; and on the lab, 20
 * services against `docker service ls` typed by an operator.
 */
import { performance } from 'node:perf_hooks';
import { services as servicesAction, SERVICES_PER_PAGE } from '../src/actions/services.js';
import { DockerSwarm } from '../src/adapters/docker/docker-swarm.js';
import { parsePolicy } from '../src/config/policy.js';
import { readOnly, type Swarm } from '../src/ports.js';
import { renderBlockKit } from '../src/render/block-kit.js';
import { MemoryState } from '../test/support/fakes.js';
import { countingSwarm, countRequests, dockerCli, labCreds, type LabJson, median, ms, type Row, socketCli, timeMany } from './lib.js';

const policy = parsePolicy(JSON.stringify({ defaultCluster: 'big', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }));
const NO_ARGS = { stack: undefined, filter: undefined, page: undefined };
const ctx = (swarm: Swarm, cluster = 'big') => ({ swarm: readOnly(swarm), policy, cluster, user: 'U', requestId: 'r', clock: { now: () => new Date() }, history: new MemoryState(), progress: () => undefined });

/** `GET /services?status=true` and `GET /tasks` for `n` services of 10 tasks; one in 20 below desired, one in 50 crash-looping */
export function servicesJson(n: number, o: { healthy?: boolean } = {}): { services: string; tasks: string } {
  const now = Date.now();
  const services = Array.from({ length: n }, (_, i) => ({
    ID: `svc${String(i).padStart(22, '0')}`,
    Version: { Index: 1000 + i },
    UpdatedAt: new Date(now - 3_600_000).toISOString(),
    Spec: {
      Name: `app-${String(i).padStart(4, '0')}`,
      Labels: i % 3 ? { 'com.docker.stack.namespace': `stack-${i % 25}` } : {},
      TaskTemplate: { ContainerSpec: { Image: `registry.example.com/team-${i % 7}/app-${i}:1.${i % 9}.0@sha256:${'ab'.repeat(32)}`, Env: ['A=1', 'B=2'] }, ForceUpdate: 0, Placement: { Constraints: ['node.role==worker'] } },
      Mode: { Replicated: { Replicas: 10 } },
      UpdateConfig: { Parallelism: 2, Delay: 1e9, FailureAction: 'pause', Monitor: 5e9, Order: 'start-first' },
      EndpointSpec: { Ports: i % 10 ? [] : [{ PublishedPort: 30000 + i, TargetPort: 80, Protocol: 'tcp', PublishMode: 'ingress' }] },
    },
    ServiceStatus: { RunningTasks: o.healthy || i % 20 ? 10 : 9, DesiredTasks: 10 },
  }));
  const tasks = services.flatMap((s, i) =>
    Array.from({ length: 10 }, (_, k) => {
      const failed = !o.healthy && i % 50 === 0 && k < 3;
      return {
        ID: `task${String(i * 10 + k).padStart(21, '0')}`,
        ServiceID: s.ID,
        Slot: k + 1,
        NodeID: `node${String((i + k) % 200).padStart(21, '0')}`,
        DesiredState: failed ? 'shutdown' : 'running',
        Status: { Timestamp: new Date(now - k * 60_000).toISOString(), State: failed ? 'failed' : 'running', Message: failed ? 'started' : 'started', ...(failed ? { Err: 'task: non-zero exit (1)', ContainerStatus: { ExitCode: 1 } } : {}) },
        Spec: { ContainerSpec: { Image: s.Spec.TaskTemplate.ContainerSpec.Image } },
      };
    }),
  );
  return { services: JSON.stringify(services), tasks: JSON.stringify(tasks) };
}

/** The real adapter over an endpoint that answers from the JSON above, counting requests. */
function syntheticSwarm(json: { services: string; tasks: string }) {
  let calls = 0;
  const swarm = new DockerSwarm(
    { endpoints: ['tcp://mgr-1:2376'], ca: '', cert: '', key: '' },
    {
      connector: {
        ping: async () => (calls++, { apiVersion: '1.41', cert: {} }),
        client: () => ({
          dial: async (req) => {
            calls++;
            if (req.path === '/services') return JSON.parse(json.services);
            if (req.path === '/tasks') return JSON.parse(json.tasks);
            if (req.path === '/nodes') return [];
            throw Object.assign(new Error('not found'), { statusCode: 404 });
          },
        }),
      },
    },
  );
  return { swarm, calls: () => calls, reset: () => void (calls = 0) };
}

export async function servicesSynthetic(runs = 7): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of [100, 1000]) {
    const json = servicesJson(n);
    const s = syntheticSwarm(json);
    await servicesAction.run(ctx(s.swarm), NO_ARGS);
    s.reset();
    const times: number[] = [];
    const base: number[] = [];
    let message = renderBlockKit(await servicesAction.run(ctx(s.swarm), NO_ARGS));
    s.reset();
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      message = renderBlockKit(await servicesAction.run(ctx(s.swarm), NO_ARGS));
      times.push(performance.now() - t);
      const b = performance.now();
      JSON.stringify(JSON.parse(json.services));
      JSON.stringify(JSON.parse(json.tasks));
      base.push(performance.now() - b);
    }
    const requests = s.calls() / runs;
    const chars = JSON.stringify(message.blocks).length;
    const cut = /did not fit|Showing \d+ of \d+/.test(JSON.stringify(message));
    const pages = Math.ceil(n / SERVICES_PER_PAGE);
    const section = `services ${n.toLocaleString('en')} (synthetic, ${n * 10} tasks)`;
    rows.push(
      { section, measure: '/swarm services: Docker JSON → Block Kit (warm adapter)', value: ms(median(times)), baseline: `JSON round trip ${ms(median(base))}`, ratio: median(times) / median(base), data: { times, base } },
      { section, measure: '  Docker requests per /swarm services', value: String(requests), baseline: `${n} services`, target: '2, whatever n' },
      { section, measure: `  page 1 of ${pages} inside Slack's limits`, value: !cut && message.blocks.length <= 50 && chars <= 12_000 ? 'inside, nothing cut' : 'OVER or CUT', baseline: `${message.blocks.length} blocks, ${chars} chars` },
    );
  }
  return rows;
}


/** 20 services on the lab: `/swarm services` (warm adapter) vs `docker service ls` over TLS, times and requests */
export async function servicesLab(lab: LabJson, runs = 15): Promise<Row[]> {
  const creds = labCreds(lab);
  const host = creds.endpoints[0]!;
  const manager = lab.nodes.find((n) => n.role === 'manager')!;
  const names = Array.from({ length: 20 }, (_, i) => `bench-svc-${i}`);
  // a few at a time: twenty creates at once can race each other on the leader
  for (let i = 0; i < names.length; i += 5) {
    await Promise.all(names.slice(i, i + 5).map((n) => socketCli(manager.socket, 'service', 'create', '--detach', '--no-resolve-image', '--name', n, '--replicas', '1', 'swarm-ops/probe:latest', 'sleep', '3600').catch(() => undefined)));
  }
  try {
    // the services must exist before anything is timed
    let listed = 0;
    for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
      listed = (await socketCli(manager.socket, 'service', 'ls', '-q')).stdout.trim().split('\n').filter(Boolean).length;
      if (listed >= names.length) break;
    }
    if (listed < names.length) throw new Error(`only ${listed} of ${names.length} services were created`);
    const warm = countingSwarm(creds);
    await servicesAction.run(ctx(warm.swarm, 'lab'), NO_ARGS);
    warm.reset();
    const ours = await timeMany(runs, () => servicesAction.run(ctx(warm.swarm, 'lab'), NO_ARGS));
    const ourCalls = warm.calls() / runs;
    const theirs = await timeMany(runs, () => dockerCli(lab, host, true, 'service', 'ls'));
    const cliCalls = await countRequests(manager.socket, async (proxy) => void (await dockerCli(lab, proxy, false, 'service', 'ls')));
    const section = `services vs CLI (lab, ${listed} services)`;
    return [
      { section, measure: '/swarm services, warm adapter (median)', value: ms(median(ours)), baseline: `docker service ls (TLS) ${ms(median(theirs))}`, ratio: median(ours) / median(theirs), target: '≤ 1×', data: { ours, theirs } },
      { section, measure: '  Docker API requests', value: String(ourCalls), baseline: `docker service ls: ${cliCalls}`, ratio: ourCalls / cliCalls },
    ];
  } finally {
    await socketCli(manager.socket, 'service', 'rm', ...names).catch(() => undefined);
  }
}
