/**
 * Synthetic swarms of 10 to 5,000 nodes: the Docker API's JSON for them
 * (GET /nodes, GET /info), through the adapter's mapping, the `status` and
 * `nodes` actions and the Block Kit renderer. Time per size against a
 * baseline that is linear by nature (JSON.parse + JSON.stringify of the same
 * JSON), and every message checked against Slack's limits: summarised and
 * paged, never cut.
 */
import { performance } from 'node:perf_hooks';
import { nodes as nodesAction, NODES_PER_PAGE } from '../src/actions/nodes.js';
import { status } from '../src/actions/status.js';
import { toDaemonInfo, toSwarmNode, type DockerNode } from '../src/adapters/docker/docker-json.js';
import { parsePolicy } from '../src/config/policy.js';
import type { Reply } from '../src/domain/reply.js';
import { readOnly } from '../src/ports.js';
import { renderBlockKit, type SlackMessage } from '../src/render/block-kit.js';
import { FakeSwarm } from '../test/support/fixtures.js';
import { MemoryState } from '../test/support/fakes.js';
import { median, ms, type Row } from './lib.js';

export const SIZES = [10, 100, 1000, 5000];

/** What `GET /nodes` answers for a swarm of `n`: 3 managers (5 from 100 nodes), 1 in 50 workers down, one drained, labels, two engine versions. */
export function dockerNodesJson(n: number): string {
  const managers = n >= 100 ? 5 : 3;
  const list: DockerNode[] = Array.from({ length: n }, (_, i) => {
    const manager = i < managers;
    const hostname = manager ? `mgr-${i + 1}` : `wrk-${String(i - managers + 1).padStart(4, '0')}`;
    return {
      ID: `node${String(i).padStart(21, '0')}`,
      Version: { Index: 100 + i },
      Spec: { Role: manager ? 'manager' : 'worker', Availability: i === managers + 7 ? 'drain' : 'active', Labels: { zone: `eu-west-1${'abc'[i % 3]}`, tier: i % 2 ? 'app' : 'data' } },
      Description: { Hostname: hostname, Platform: { OS: 'linux' }, Engine: { EngineVersion: i % 10 === 9 ? '24.0.7' : '25.0.3', Labels: {} }, TLSInfo: { CertIssuerSubject: 'MBMxETAPBgNVBAMTCHN3YXJtLWNh', CertIssuerPublicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' } },
      Status: { State: !manager && i % 50 === 0 ? 'down' : 'ready', Addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
      ManagerStatus: manager ? { Leader: i === 0, Reachability: 'reachable', Addr: `10.0.0.${i}:2377` } : null,
    };
  });
  return JSON.stringify(list);
}

export function infoJson(n: number, managers: number): object {
  return {
    ID: 'ENGINE:ID',
    Name: 'mgr-1',
    ServerVersion: '25.0.3',
    OperatingSystem: 'Debian GNU/Linux 12',
    OSType: 'linux',
    SystemTime: new Date().toISOString(),
    Swarm: {
      NodeID: 'node000000000000000000000',
      LocalNodeState: 'active',
      ControlAvailable: true,
      Error: '',
      Nodes: n,
      Managers: managers,
      Cluster: { ID: 'cluster1' },
      RemoteManagers: Array.from({ length: managers }, (_, i) => ({ NodeID: `node${String(i).padStart(21, '0')}`, Addr: `10.0.0.${i}:2377` })),
    },
  };
}

/** Is the message inside Slack's limits, and said in full (no "did not fit", no "Showing N of M")? */
function fits(m: SlackMessage): { ok: boolean; blocks: number; chars: number; cut: boolean } {
  const chars = JSON.stringify(m.blocks).length;
  const cut = /did not fit|Showing \d+ of \d+/.test(JSON.stringify(m));
  return { ok: m.blocks.length <= 50 && chars <= 12_000 && !cut, blocks: m.blocks.length, chars, cut };
}

export async function synthetic(runs = 7): Promise<Row[]> {
  const policy = parsePolicy(JSON.stringify({ defaultCluster: 'big', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }));
  const rows: Row[] = [];
  const perNode: Array<{ n: number; status: number; nodes: number; base: number }> = [];
  for (const n of SIZES) {
    const raw = dockerNodesJson(n);
    const managers = n >= 100 ? 5 : 3;
    const info = infoJson(n, managers);
    // the adapter's mapping is part of what is timed: JSON text in, Slack message out
    const swarmOf = () => {
      const nodes = (JSON.parse(raw) as DockerNode[]).map(toSwarmNode);
      return new FakeSwarm(nodes, { info: toDaemonInfo('tcp://mgr-1:2376', info as never) });
    };
    const ctx = (swarm: FakeSwarm) => ({ swarm: readOnly(swarm), policy, cluster: 'big', user: 'U', requestId: 'r', clock: { now: () => new Date() }, history: new MemoryState(), progress: () => undefined });
    const once = async (what: () => Promise<Reply>) => {
      const t = performance.now();
      const m = renderBlockKit(await what());
      return { t: performance.now() - t, m };
    };
    const statusRuns: number[] = [];
    const nodesRuns: number[] = [];
    const baseRuns: number[] = [];
    let statusMsg: SlackMessage | undefined;
    let nodesMsg: SlackMessage | undefined;
    for (let i = 0; i < runs; i++) {
      const s = await once(() => status.run(ctx(swarmOf()), {}));
      statusRuns.push(s.t);
      statusMsg = s.m;
      const p = await once(() => nodesAction.run(ctx(swarmOf()), { filter: undefined, page: undefined }));
      nodesRuns.push(p.t);
      nodesMsg = p.m;
      const t = performance.now();
      JSON.stringify(JSON.parse(raw));
      baseRuns.push(performance.now() - t);
    }
    // every page of `nodes`, and a filter, inside the limits
    const pages = Math.ceil(n / NODES_PER_PAGE);
    const pageChecks = [];
    for (let page = 1; page <= pages; page++) pageChecks.push(fits(renderBlockKit(await nodesAction.run(ctx(swarmOf()), { filter: undefined, page }))));
    const down = fits(renderBlockKit(await nodesAction.run(ctx(swarmOf()), { filter: { kind: 'down' }, page: undefined })));
    const st = fits(statusMsg!);
    const nd = fits(nodesMsg!);
    const allFit = st.ok && nd.ok && down.ok && pageChecks.every((c) => c.ok);
    const sm = median(statusRuns);
    const nm = median(nodesRuns);
    const bm = median(baseRuns);
    perNode.push({ n, status: sm / n, nodes: nm / n, base: bm / n });
    const section = `synthetic ${n.toLocaleString('en')} nodes`;
    rows.push(
      { section, measure: 'status: Docker JSON → Block Kit', value: ms(sm), baseline: `JSON round trip ${ms(bm)}`, ratio: sm / bm, data: { status: statusRuns, base: baseRuns } },
      { section, measure: 'nodes (page 1): Docker JSON → Block Kit', value: ms(nm), baseline: `JSON round trip ${ms(bm)}`, ratio: nm / bm, data: { nodes: nodesRuns } },
      {
        section,
        measure: `Slack limits: status, nodes ${pages} page${pages > 1 ? 's' : ''}, --filter down`,
        value: allFit ? 'all inside, nothing cut' : 'OVER or CUT',
        baseline: `status ${st.blocks} blocks/${st.chars} chars; page 1 ${nd.blocks}/${nd.chars}`,
        data: { status: st, page1: nd, down, pages: pageChecks.length, allFit },
      },
    );
    if (!allFit) throw new Error(`a message for ${n} nodes is over Slack's limits or cut: ${JSON.stringify({ st, nd, down })}`);
  }
  // linear growth: time per node at the largest size against the smallest that is not noise (100)
  const at = (n: number) => perNode.find((p) => p.n === n)!;
  const [small, large] = [at(100), at(SIZES.at(-1)!)];
  for (const what of ['status', 'nodes'] as const) {
    rows.push({
      section: 'synthetic growth',
      measure: `${what} time per node, ${SIZES.at(-1)!.toLocaleString('en')} vs 100 nodes (1× = linear)`,
      value: `${(large[what] / small[what]).toFixed(2)}×`,
      baseline: `JSON round trip ${(large.base / small.base).toFixed(2)}×`,
      ratio: large[what] / small[what] / (large.base / small.base),
    });
  }
  return rows;
}
