import { UserFacingError } from '../errors.js';
import { reply, type Attachment, type Reply, type ReplyPart } from '../domain/reply.js';
import type { ServiceTask, SwarmNetwork, SwarmNode } from '../ports.js';
import type { ArgsFor } from '../commands/registry.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { code } from '../render/escape.js';
import { findOverlay } from './overlay.js';
import { buildMatrix, heatmapOf, renderMatrix, MATRIX_LEGEND, PROBE_SCRIPT, TERMINAL, type Reachability } from './probe-matrix.js';

export { PROBE_SCRIPT, buildMatrix, renderMatrix, heatmapOf, MATRIX_LEGEND, type PairResult, type TaskView, type Reachability } from './probe-matrix.js';
import type { ChangeAction, ChangeContext } from './types.js';

export const PROBE_LABEL = 'swarm-ops.probe';
/** up to this many nodes the matrix is text in the message; beyond, a PNG heatmap */
export const TEXT_MATRIX_MAX_NODES = 12;

export interface ProbeTiming {
  /** how long the tasks may take to start */
  startMs: number;
  /** how long each task waits to see every other task in `tasks.<probe>` DNS before it pings */
  seeMs: number;
  /** how long each task keeps pinging a target that does not answer */
  pingMs: number;
  /** how long every running task may take to report, once they all started */
  reportMs: number;
  pollMs: number;
}

/**
 * Bounds that grow with the swarm: the last task may start up to `startMs`
 * after the first, and the first must still be waiting for it then. A
 * working overlay finishes far sooner: these are only where the check gives up.
 */
export function probeTiming(nodes: number): ProbeTiming {
  const startMs = (30 + nodes) * 1000;
  const seeMs = startMs + 15_000;
  // A task can be in DNS before every node's overlay has learnt where it lives (that news travels by gossip,
  // slower on a bigger or busier swarm). With 8 s, one pair of 132 on a working 12-node lab under CI load went
  // unanswered (its reverse answered) and was reported failed. A real cut never answers however long we wait;
  // this only moves when we give up.
  const pingMs = (10 + Math.ceil(nodes / 2)) * 1000;
  return { startMs, seeMs, pingMs, reportMs: seeMs + pingMs + 10_000, pollMs: 1000 };
}

/** longer than a check may run, so that a crashed run frees the cluster */
const lockSeconds = (t: ProbeTiming) => Math.max(300, Math.ceil((t.startMs + t.reportMs) / 1000) + 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The nodes the failed pairs involve, most first: often one node is in all of them. */
function involved(r: Reachability): Array<{ node: string; out: number; in: number }> {
  const by = new Map<string, { node: string; out: number; in: number }>();
  const get = (node: string) => by.get(node) ?? by.set(node, { node, out: 0, in: 0 }).get(node)!;
  for (const [from, to] of r.failed) {
    get(from).out++;
    get(to).in++;
  }
  return [...by.values()].sort((a, b) => b.out + b.in - (a.out + a.in) || naturalCompare(a.node, b.node));
}

/** Why pairs were not measured, one line per node and reason. */
function unmeasuredWhy(r: Reachability): string[] {
  const lines: string[] = [];
  const pairsOf = (n: number) => 2 * (n - 1);
  for (const n of r.nodes) {
    const v = r.tasks[n]!;
    if (!v.started) lines.push(`${n}: its probe task never started (${v.notStartedWhy}); its ${plural(pairsOf(r.nodes.length), 'pair')} (both ways) were not measured`);
  }
  for (const from of r.nodes) {
    const v = r.tasks[from]!;
    if (!v.started) continue;
    const row = r.nodes.filter((to) => to !== from && r.tasks[to]!.started);
    const late = row.filter((to) => r.pair[from]![to] === 'no-report');
    const dns = row.filter((to) => r.pair[from]![to] === 'not-in-dns');
    const saw = v.seen !== undefined ? `saw ${v.seen} of ${v.expected ?? r.nodes.length} in DNS` : 'had not said what it saw in DNS';
    if (late.length) lines.push(`${from} did not report in time (${saw}): ${plural(late.length, 'pair')} from it not measured`);
    if (dns.length) lines.push(`${from} never saw ${dns.join(', ')} in \`tasks.<probe>\` DNS (${saw}${v.waitedS !== undefined ? ` after ${v.waitedS} s` : ''})`);
  }
  return lines;
}

/** Each task's view of DNS ("saw 11 of 12"): everyone saw everyone, or who did not. */
function dnsParts(r: Reachability): ReplyPart[] {
  const started = r.nodes.filter((n) => r.tasks[n]!.started);
  // a task that said nothing is named under "Not measured" already
  const reported = started.filter((n) => r.tasks[n]!.seen !== undefined);
  const expected = (n: string) => r.tasks[n]!.expected ?? r.nodes.length;
  const partial = reported.filter((n) => r.tasks[n]!.seen! < expected(n));
  if (!partial.length) {
    if (!reported.length) return [];
    const waits = reported.map((n) => r.tasks[n]!.waitedS).filter((w): w is number => w !== undefined);
    const who = reported.length === started.length ? 'every task' : `every task that reported (${reported.length} of ${started.length})`;
    return [{ kind: 'context', text: `DNS: ${who} saw all ${Math.max(...reported.map(expected))} tasks in \`tasks.<probe>\`${waits.length ? ` (the slowest after ${Math.max(...waits)} s)` : ''} before it pinged.` }];
  }
  return [
    {
      kind: 'list',
      title: 'Tasks that did not see every other task in DNS',
      tone: 'warn',
      items: partial.map((n) => {
        const v = r.tasks[n]!;
        return `${n} saw ${v.seen} of ${expected(n)}${v.waitedS !== undefined ? ` (gave up after ${v.waitedS} s)` : ''}`;
      }),
    },
  ];
}

interface CheckPlan {
  net: SwarmNetwork;
  nodes: SwarmNode[];
  eligible: SwarmNode[];
  skipped: SwarmNode[];
  name: string;
}

export const overlayCheck = (timing: Partial<ProbeTiming> = {}): ChangeAction<ArgsFor<'overlay check'>, CheckPlan> => ({
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
            'every task waits until it sees the others in DNS, pings them; the results are collected and the service removed.',
        },
        ...(skipped.length ? [{ kind: 'context' as const, text: `Skipped (not ready or not active): ${skipped.map((n) => n.hostname).join(', ')}` }] : []),
      ],
      data: { net, nodes, eligible, skipped, name },
    };
  },

  async apply(ctx, _args, plan) {
    const t: ProbeTiming = { ...probeTiming(plan.data.eligible.length), ...timing };
    // containers on every node: one check per cluster at a time
    const lock = `probe#${ctx.cluster}`;
    const ttl = lockSeconds(t);
    if (!(await ctx.claims.claim(lock, ctx.requestId, { ttlSeconds: ttl, note: `<@${ctx.user}> (request \`${ctx.requestId}\`)` }))) {
      const holder = await ctx.claims.holder(lock);
      throw new UserFacingError(
        'CONFLICT',
        `An overlay check is already running on ${code(ctx.cluster)}${holder?.note ? `, started by ${holder.note}` : ''}. ` +
          `Try again when it has finished (within ${Math.ceil(ttl / 60)} minutes); nothing was started.`,
      );
    }
    try {
      return await probe(ctx, plan.data, t);
    } finally {
      await ctx.claims.release(lock, ctx.requestId);
    }
  },
});

interface Collected {
  tasks: ServiceTask[];
  logs: string;
}

/** Starts the probe and collects what its tasks print: until each has reported, or the bounds run out. */
async function collect(ctx: ChangeContext, serviceId: string, data: CheckPlan, t: ProbeTiming, hostnameOf: (id: string) => string): Promise<Collected> {
  const total = data.eligible.length;
  // every phase is told: the worker shows them only once the check has run about a second, then edits one message
  const progress = ctx.progress;
  let tasks: ServiceTask[] = [];
  let logs = '';
  const startBy = Date.now() + t.startMs;
  for (;;) {
    tasks = await ctx.swarm.probe.tasks(serviceId);
    const running = tasks.filter((x) => x.state === 'running').length;
    const dead = tasks.filter((x) => TERMINAL.has(x.state)).length;
    if (running + dead >= total || Date.now() > startBy) break;
    progress(`Probe running on ${running} of ${total} nodes…`);
    await sleep(t.pollMs);
  }
  const reportBy = Date.now() + t.reportMs;
  for (;;) {
    logs = await ctx.swarm.probe.logs(serviceId);
    const done = new Set([...logs.matchAll(/PROBE-DONE (\S+)/g)].map((m) => m[1]!));
    const waiting = tasks.filter((x) => x.state === 'running' && !done.has(hostnameOf(x.nodeId)));
    if (!waiting.length || Date.now() > reportBy) break;
    progress(`${done.size} of ${total} probe tasks reported…`);
    await sleep(t.pollMs);
    // a task that starts late still counts
    tasks = await ctx.swarm.probe.tasks(serviceId);
  }
  return { tasks, logs };
}

/** Runs the probe service, collects the matrix, and always removes the service. */
async function probe(ctx: ChangeContext, data: CheckPlan, t: ProbeTiming): Promise<Reply> {
  const { net, nodes, eligible, skipped, name } = data;
  const byId = new Map<string, SwarmNode>(nodes.map((n) => [n.id, n]));
  const hostnameOf = (id: string) => byId.get(id)?.hostname ?? id.slice(0, 12);
  // a probe left behind by a run that died is removed before we start another
  for (const old of await ctx.swarm.probe.labelled(PROBE_LABEL)) {
    if (ctx.clock.now().getTime() - old.createdAt.getTime() > lockSeconds(t) * 1000) await ctx.swarm.probe.remove(old.id);
  }

  const started = Date.now();
  let serviceId: string | undefined;
  let collected: Collected = { tasks: [], logs: '' };
  let cleanupProblem: string | undefined;
  try {
    serviceId = await ctx.swarm.probe.create({
      name,
      image: ctx.policy.probeImage,
      networkId: net.id,
      command: ['sh', '-c', PROBE_SCRIPT],
      env: [
        'PROBE_NODE={{.Node.Hostname}}',
        `PROBE_SERVICE=${name}`,
        `PROBE_EXPECT=${eligible.length}`,
        `PROBE_SEE_S=${seconds(t.seeMs)}`,
        `PROBE_PING_S=${seconds(t.pingMs)}`,
      ],
      labels: { [PROBE_LABEL]: net.name, 'swarm-ops.request': ctx.requestId },
    });
    collected = await collect(ctx, serviceId, data, t, hostnameOf);
  } finally {
    // the probe never outlives the check, also when it failed or timed out (found by name if its id never came back)
    try {
      const ids = serviceId ? [serviceId] : (await ctx.swarm.probe.labelled(PROBE_LABEL)).filter((s) => s.name === name).map((s) => s.id);
      for (const id of ids) await ctx.swarm.probe.remove(id);
    } catch (err) {
      cleanupProblem = `The probe service \`${name}\` could not be removed (${err instanceof Error ? err.message : String(err)}); remove it with \`docker service rm ${name}\`.`;
    }
  }

  const result = buildMatrix(
    eligible.map((n) => n.hostname),
    collected.logs,
    collected.tasks,
    hostnameOf,
  );
  const ranS = ((Date.now() - started) / 1000).toFixed(1);
  const footer: ReplyPart[] = [];
  if (skipped.length)
    footer.push({ kind: 'context', text: `Not probed (not ready or not active): ${skipped.map((n) => `${n.hostname} (${n.state}, ${n.availability})`).join(', ')}` });
  if (cleanupProblem) footer.push({ kind: 'list', title: 'Clean-up', tone: 'warn', items: [cleanupProblem] });
  else footer.push({ kind: 'context', text: `Probe \`${name}\` (${ctx.policy.probeImage}) ran ${ranS} s and has been removed.` });
  return checkReply(net, result, footer);
}

/** The answer: verdict, matrix (text, or a picture above TEXT_MATRIX_MAX_NODES), failed pairs and the nodes they involve, and why any pair was not measured. */
export function checkReply(net: SwarmNetwork, r: Reachability, footer: ReplyPart[] = []): Reply {
  const pairs = r.nodes.length * (r.nodes.length - 1);
  const passed = r.nodes.length > 0 && r.ok === pairs;
  const verdict = passed ? 'passed' : r.failed.length ? 'FAILED' : 'INCOMPLETE';
  const parts: ReplyPart[] = [
    {
      kind: 'text',
      text: passed
        ? `Every node reached every other node over \`${net.name}\` (${plural(pairs, 'pair')}).`
        : `*Not every node can reach every other over \`${net.name}\`*: ${r.ok} of ${plural(pairs, 'pair')} answered` +
          `${r.failed.length ? `, ${r.failed.length} failed` : ''}${r.unmeasured ? `, ${r.unmeasured} not measured` : ''}.` +
          (net.encrypted && r.failed.length ? ' This overlay is encrypted: IPsec (ESP) between the hosts must work, e.g. IP protocol 50 open and the kernel able to do it.' : ''),
    },
  ];
  const attachments: Attachment[] = [];
  if (r.nodes.length <= TEXT_MATRIX_MAX_NODES) {
    parts.push({ kind: 'table', noun: 'nodes', ...renderMatrix(r) }, { kind: 'context', text: MATRIX_LEGEND });
  } else {
    const filename = `overlay-check-${net.name}.png`;
    attachments.push({ filename, title: `Overlay check ${net.name}: ${r.ok} of ${pairs} pairs answered`, bytes: heatmapOf(r, `overlay ${net.name}: ${r.ok} of ${pairs} ok (row pings column)`) });
    parts.push({ kind: 'context', text: `The ${r.nodes.length}×${r.nodes.length} matrix is in the picture \`${filename}\` (each row pings each column).` });
  }
  if (r.failed.length) {
    const who = involved(r);
    const [top, ...rest] = who;
    const culprit = rest.length > 0 && top!.out + top!.in === r.failed.length;
    if (culprit) parts.push({ kind: 'text', text: `Every failed pair involves \`${top!.node}\`: look at its data path (UDP 4789 between the hosts).` });
    const line = (w: (typeof who)[number]) => `${w.node}: ${plural(w.out + w.in, 'failed pair')} (${w.out} from it, ${w.in} to it)`;
    parts.push({
      kind: 'list',
      title: `Nodes involved (${who.length})`,
      tone: 'error',
      // one node in every failed pair: the others are named once, as its partners
      items: culprit ? [line(top!), `with it only: ${rest.map((w) => w.node).join(', ')}`] : who.map(line),
    });
    parts.push({ kind: 'list', title: `Failed pairs (${r.failed.length})`, tone: 'error', items: r.failed.map(([a, b]) => `${a} → ${b}`) });
  }
  const why = unmeasuredWhy(r);
  if (why.length) parts.push({ kind: 'list', title: `Not measured (${r.unmeasured} pair${r.unmeasured === 1 ? '' : 's'})`, tone: 'warn', items: why });
  parts.push(...dnsParts(r), ...footer);
  return { ...reply(`Overlay check ${net.name}: ${verdict}`, passed ? 'ok' : 'error', parts), ...(attachments.length ? { attachments } : {}) };
}
