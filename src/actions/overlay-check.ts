import { UserFacingError } from '../errors.js';
import { reply, type Reply, type ReplyPart } from '../domain/reply.js';
import type { ServiceTask, SwarmNetwork, SwarmNode } from '../ports.js';
import type { ArgsFor } from '../commands/registry.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { code } from '../render/escape.js';
import { findOverlay } from './overlay.js';
import type { ChangeAction, ChangeContext } from './types.js';

export const PROBE_LABEL = 'swarm-ops.probe';
/** longer than a check may run (start and report limits together), so a crashed run frees the cluster */
const PROBE_LOCK_SECONDS = 300;

export interface ProbeTiming {
  /** how long the tasks may take to start */
  startMs: number;
  /** how long every task may take to report */
  reportMs: number;
  pollMs: number;
}

const DEFAULT_TIMING: ProbeTiming = { startMs: 40_000, reportMs: 40_000, pollMs: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What each probe task runs (busybox or alpine sh): wait until DNS lists a
 * task on every node (`tasks.<service>`), ping each, print one line per
 * target, then stay up so the others can still reach it.
 */
export const PROBE_SCRIPT = [
  'i=0; ips=""',
  'while [ $i -lt 40 ]; do',
  '  ips=$(nslookup "tasks.$PROBE_SERVICE" 2>/dev/null | awk \'/^Name:/{f=1} f&&/^Address/{for(k=2;k<=NF;k++) if($k~/^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/) print $k}\' | sort -u)',
  '  [ "$(echo "$ips" | grep -c .)" -ge "$PROBE_EXPECT" ] && break',
  '  i=$((i+1)); sleep 0.5',
  'done',
  'for ip in $ips; do',
  '  if ping -c 2 -W 2 "$ip" >/dev/null 2>&1; then r=ok; else r=fail; fi',
  '  echo "PROBE $PROBE_NODE $ip $r"',
  'done',
  'echo "PROBE-DONE $PROBE_NODE $(echo "$ips" | grep -c .)"',
  'sleep 120',
].join('\n');

export interface Reachability {
  nodes: string[];
  /** matrix[from][to]: true reachable, false not, undefined not measured */
  matrix: Record<string, Record<string, boolean | undefined>>;
  failed: Array<[from: string, to: string]>;
  missing: string[];
}

/** Turns the probes' log lines into the N×N matrix. Pure, so it is tested on its own. */
export function buildMatrix(logs: string, tasks: ServiceTask[], hostnameOf: (nodeId: string) => string): Reachability {
  const ipToNode = new Map<string, string>();
  for (const t of tasks) for (const a of t.addresses) ipToNode.set(a, hostnameOf(t.nodeId));
  const nodes = [...new Set(tasks.map((t) => hostnameOf(t.nodeId)))].sort(naturalCompare);
  const matrix: Reachability['matrix'] = Object.fromEntries(nodes.map((n) => [n, {}]));
  const reported = new Set<string>();
  for (const line of logs.split('\n')) {
    const done = /PROBE-DONE (\S+)/.exec(line);
    if (done) reported.add(done[1]!);
    const m = /PROBE (\S+) (\S+) (ok|fail)\b/.exec(line);
    if (!m) continue;
    const [, from, ip, result] = m;
    const to = ipToNode.get(ip!);
    if (!to || !matrix[from!] || to === from) continue;
    matrix[from!]![to] = (matrix[from!]![to] ?? true) && result === 'ok';
  }
  const failed: Array<[string, string]> = [];
  for (const from of nodes) for (const to of nodes) if (from !== to && matrix[from]![to] === false) failed.push([from, to]);
  return { nodes, matrix, failed, missing: nodes.filter((n) => !reported.has(n)) };
}

export function renderMatrix(r: Reachability): { columns: string[]; rows: string[][] } {
  const columns = ['FROM \\ TO', ...r.nodes];
  const rows = r.nodes.map((from) => [from, ...r.nodes.map((to) => (from === to ? '·' : r.matrix[from]![to] === undefined ? '?' : r.matrix[from]![to] ? 'ok' : 'FAIL'))]);
  return { columns, rows };
}

interface CheckPlan {
  net: SwarmNetwork;
  nodes: SwarmNode[];
  eligible: SwarmNode[];
  skipped: SwarmNode[];
  name: string;
}

export const overlayCheck = (timing: ProbeTiming = DEFAULT_TIMING): ChangeAction<ArgsFor<'overlay check'>, CheckPlan> => ({
  async plan(ctx, args) {
    const nodes = await ctx.swarm.nodes.list();
    const net = await findOverlay(ctx.swarm, args.name);
    if (net.ingress) throw new UserFacingError('VALIDATION', '`ingress` is the routing mesh; probe one of your own overlays instead.');
    const eligible = nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
    const skipped = nodes.filter((n) => !eligible.includes(n));
    const name = `swarm-ops-probe-${ctx.requestId.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 63);
    return {
      summary: `check overlay ${code(net.name)} across ${eligible.length} node${eligible.length === 1 ? '' : 's'}`,
      details: [
        {
          kind: 'text',
          text:
            `Runs ${code(name)} (${code(ctx.policy.probeImage)}) as a global service on ${code(net.name)}; ` +
            'every task resolves the others and pings them; the results are collected and the service removed.',
        },
        ...(skipped.length ? [{ kind: 'context' as const, text: `Skipped (not ready or not active): ${skipped.map((n) => n.hostname).join(', ')}` }] : []),
      ],
      data: { net, nodes, eligible, skipped, name },
    };
  },

  async apply(ctx, _args, plan) {
    // containers on every node: one check per cluster at a time
    const lock = `probe#${ctx.cluster}`;
    if (!(await ctx.claims.claim(lock, ctx.requestId, { ttlSeconds: PROBE_LOCK_SECONDS, note: `<@${ctx.user}> (request \`${ctx.requestId}\`)` }))) {
      const holder = await ctx.claims.holder(lock);
      throw new UserFacingError(
        'CONFLICT',
        `An overlay check is already running on ${code(ctx.cluster)}${holder?.note ? `, started by ${holder.note}` : ''}. ` +
          `Try again when it has finished (within ${PROBE_LOCK_SECONDS / 60} minutes); nothing was started.`,
      );
    }
    try {
      return await probe(ctx, plan.data, timing);
    } finally {
      await ctx.claims.release(lock, ctx.requestId);
    }
  },
});

/** Runs the probe service, collects the matrix, and always removes the service. */
async function probe(ctx: ChangeContext, data: CheckPlan, timing: ProbeTiming): Promise<Reply> {
    const { net, nodes, eligible, skipped, name } = data;
    const byId = new Map<string, SwarmNode>(nodes.map((n) => [n.id, n]));
    // a probe left behind by a run that died is removed before we start another
    for (const old of await ctx.swarm.probe.labelled(PROBE_LABEL)) {
      if (ctx.clock.now().getTime() - old.createdAt.getTime() > 10 * 60_000) await ctx.swarm.probe.remove(old.id);
    }

    const started = Date.now();
    let serviceId: string | undefined;
    let tasks: ServiceTask[] = [];
    let logs = '';
    let cleanupProblem: string | undefined;
    try {
      serviceId = await ctx.swarm.probe.create({
        name,
        image: ctx.policy.probeImage,
        networkId: net.id,
        command: ['sh', '-c', PROBE_SCRIPT],
        env: ['PROBE_NODE={{.Node.Hostname}}', `PROBE_SERVICE=${name}`, `PROBE_EXPECT=${eligible.length}`],
        labels: { [PROBE_LABEL]: net.name, 'swarm-ops.request': ctx.requestId },
      });
      // wait for a running task on each eligible node (or for tasks that failed to start)
      const startBy = Date.now() + timing.startMs;
      for (;;) {
        tasks = await ctx.swarm.probe.tasks(serviceId);
        const running = tasks.filter((t) => t.state === 'running');
        const dead = tasks.filter((t) => ['failed', 'rejected', 'shutdown', 'complete'].includes(t.state));
        if (running.length + dead.length >= eligible.length || Date.now() > startBy) break;
        await sleep(timing.pollMs);
      }
      const running = tasks.filter((t) => t.state === 'running');
      const reportBy = Date.now() + timing.reportMs;
      for (;;) {
        logs = await ctx.swarm.probe.logs(serviceId);
        const done = (logs.match(/PROBE-DONE /g) ?? []).length;
        if (done >= running.length || Date.now() > reportBy) break;
        await sleep(timing.pollMs);
      }
    } finally {
      // the probe never outlives the check, also when it failed or timed out (found by name if its id never came back)
      try {
        const ids = serviceId ? [serviceId] : (await ctx.swarm.probe.labelled(PROBE_LABEL)).filter((s) => s.name === name).map((s) => s.id);
        for (const id of ids) await ctx.swarm.probe.remove(id);
      } catch (err) {
        cleanupProblem = `The probe service \`${name}\` could not be removed (${err instanceof Error ? err.message : String(err)}); remove it with \`docker service rm ${name}\`.`;
      }
    }

    const hostnameOf = (id: string) => byId.get(id)?.hostname ?? id.slice(0, 12);
    const runningTasks = tasks.filter((t) => t.state === 'running' || t.addresses.length);
    const result = buildMatrix(logs, runningTasks, hostnameOf);
    const notStarted = tasks.filter((t) => t.state !== 'running' && !runningTasks.includes(t));
    const pairs = result.nodes.length * (result.nodes.length - 1);
    const okPairs = pairs - result.failed.length - countUnknown(result);
    const passed = result.nodes.length > 0 && result.failed.length === 0 && countUnknown(result) === 0 && notStarted.length === 0;
    const parts: ReplyPart[] = [
      {
        kind: 'text',
        text: passed
          ? `Every node reached every other node over \`${net.name}\` (${pairs} pair${pairs === 1 ? '' : 's'}).`
          : `*Not every node can reach every other over \`${net.name}\`*: ${okPairs} of ${pairs} pairs answered.` +
            (net.encrypted ? ' This overlay is encrypted: IPsec (ESP) between the hosts must work, e.g. IP protocol 50 open and the kernel able to do it.' : ''),
      },
      { kind: 'table', noun: 'nodes', ...renderMatrix(result) },
      { kind: 'context', text: 'ok: answered ping · FAIL: no answer · ?: not measured (the task did not report, or did not find that node in `tasks.<probe>` DNS) · ·: itself' },
    ];
    if (result.failed.length)
      parts.push({ kind: 'list', title: `Failed pairs (${result.failed.length})`, tone: 'error', items: result.failed.map(([a, b]) => `${a} → ${b}`) });
    if (notStarted.length)
      parts.push({
        kind: 'list',
        title: 'Probe tasks that did not run',
        tone: 'error',
        items: notStarted.map((t) => `${hostnameOf(t.nodeId)}: ${t.state}${t.error ? ` (${t.error})` : ''}`),
      });
    if (result.missing.length) parts.push({ kind: 'list', title: 'Nodes that did not report in time', tone: 'warn', items: result.missing });
    if (skipped.length)
      parts.push({ kind: 'context', text: `Not probed (not ready or not active): ${skipped.map((n) => `${n.hostname} (${n.state}, ${n.availability})`).join(', ')}` });
    if (cleanupProblem) parts.push({ kind: 'list', title: 'Clean-up', tone: 'warn', items: [cleanupProblem] });
    else parts.push({ kind: 'context', text: `Probe \`${name}\` (${ctx.policy.probeImage}) ran ${((Date.now() - started) / 1000).toFixed(1)} s and has been removed.` });
    return reply(`Overlay check ${net.name}: ${passed ? 'passed' : 'FAILED'}`, passed ? 'ok' : 'error', parts);
}

function countUnknown(r: Reachability): number {
  let n = 0;
  for (const from of r.nodes) for (const to of r.nodes) if (from !== to && r.matrix[from]![to] === undefined) n++;
  return n;
}
