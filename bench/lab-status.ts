/**
 * `/swarm status` against the lab, against what an operator types for the
 * same facts: `docker node ls` and `docker info` with the docker CLI over
 * mutual TLS, both at once, in the same run. Docker API requests are counted
 * on both sides (the CLI's through a small proxy in front of a manager's
 * socket).
 */
import path from 'node:path';
import { status } from '../src/actions/status.js';
import { parsePolicy } from '../src/config/policy.js';
import { readOnly, type Swarm } from '../src/ports.js';
import { MemoryState } from '../test/support/fakes.js';
import { countingSwarm, countRequests, dockerCli, labCreds, median, ms, timeMany, type LabJson, type Row } from './lib.js';

const policy = parsePolicy(JSON.stringify({ defaultCluster: 'lab', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }));
const ctx = (swarm: Swarm) => ({ swarm: readOnly(swarm), policy, cluster: 'lab', user: 'U', requestId: 'r', clock: { now: () => new Date() }, history: new MemoryState(), progress: () => undefined });


export async function labStatus(lab: LabJson, runs = 15): Promise<Row[]> {
  const creds = labCreds(lab);
  const host = creds.endpoints[0]!;
  // cold: a new adapter each time (TLS handshakes, API version negotiation), as a fresh function pays
  const coldCalls: number[] = [];
  const cold = await timeMany(5, async () => {
    const c = countingSwarm(creds);
    await status.run(ctx(c.swarm), {});
    coldCalls.push(c.calls());
  });
  // warm: the adapter a warm function keeps
  const warmSwarm = countingSwarm(creds);
  await status.run(ctx(warmSwarm.swarm), {});
  warmSwarm.reset();
  const warm = await timeMany(runs, () => status.run(ctx(warmSwarm.swarm), {}));
  const warmCalls = warmSwarm.calls() / runs;

  const both = await timeMany(runs, () => Promise.all([dockerCli(lab, host, true, 'node', 'ls'), dockerCli(lab, host, true, 'info')]));
  const nodeLs = await timeMany(5, () => dockerCli(lab, host, true, 'node', 'ls'));
  const cliCalls = await countRequests(lab.nodes.find((n) => n.role === 'manager')!.socket, async (proxy) => {
    await dockerCli(lab, proxy, false, 'node', 'ls');
    await dockerCli(lab, proxy, false, 'info');
  });
  const section = 'status vs CLI';
  const managers = lab.nodes.filter((n) => n.role === 'manager').length;
  const baseline = median(both);
  return [
    {
      section,
      measure: `/swarm status, warm adapter, ${managers}-manager lab (median of ${runs})`,
      value: ms(median(warm)),
      baseline: `docker node ls + docker info (TLS, at once) ${ms(baseline)}`,
      ratio: median(warm) / baseline,
      target: '≤ 1×',
      data: { warm, both, nodeLs },
    },
    { section, measure: '/swarm status, fresh adapter (TLS set-up, version negotiation)', value: ms(median(cold)), baseline: `same CLI pair ${ms(baseline)}`, ratio: median(cold) / baseline, target: '≤ 1×', data: { cold } },
    { section, measure: 'Docker API requests per status (warm / fresh)', value: `${warmCalls} / ${median(coldCalls)}`, baseline: `CLI pair ${cliCalls}`, ratio: warmCalls / cliCalls, data: { warmCalls, coldCalls, cliCalls, cli: path.basename(process.env.SWARM_LAB_DOCKER_CLI ?? '/usr/bin/docker') } },
  ];
}

