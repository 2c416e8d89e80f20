/**
 * The overlay probe's own parts: the script each task runs, and its log
 * lines turned into the N×N matrix (text up to 12 nodes, a heatmap above).
 * Pure, so they are tested on their own.
 */
import type { ServiceTask } from '../ports.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { CELL, heatmapPng, type CellKind } from '../render/heatmap.js';


/**
 * What each probe task runs (busybox or alpine sh). It waits, up to
 * PROBE_SEE_S seconds, until it has seen PROBE_EXPECT tasks in
 * `tasks.<service>`, and says how many it saw; then it pings every one in
 * parallel, each until it answers or PROBE_PING_S seconds passed (a peer
 * that started last may learn about us a moment after we learnt about it);
 * then it stays up so that the others can still reach it.
 *
 * Docker's DNS answers over UDP with at most 512 bytes: with our service
 * name that is about 10 addresses, a random few of them each time (measured
 * on the lab: 9 of 12, never more, however long a task waited). So the
 * addresses of every answer are added up until all are there.
 */
export const PROBE_SCRIPT = [
  't0=$(date +%s); ips=""; n=0',
  'while :; do',
  '  ips=$( (echo "$ips"; nslookup "tasks.$PROBE_SERVICE" 2>/dev/null | awk \'/^Name:/{f=1} f&&/^Address/{for(k=2;k<=NF;k++) if($k~/^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/) print $k}\') | grep . | sort -u)',
  '  n=$(echo "$ips" | grep -c .)',
  '  [ "$n" -ge "$PROBE_EXPECT" ] && break',
  '  [ $(( $(date +%s) - t0 )) -ge "$PROBE_SEE_S" ] && break',
  '  sleep 0.5',
  'done',
  'echo "PROBE-SEEN $PROBE_NODE $n $PROBE_EXPECT $(( $(date +%s) - t0 ))"',
  'for ip in $ips; do',
  '  ( end=$(( $(date +%s) + PROBE_PING_S )); r=fail',
  '    while :; do',
  '      if ping -c 1 -W 1 "$ip" >/dev/null 2>&1; then r=ok; break; fi',
  '      [ "$(date +%s)" -ge "$end" ] && break',
  '    done',
  '    echo "PROBE $PROBE_NODE $ip $r" ) &',
  'done',
  'wait',
  'echo "PROBE-DONE $PROBE_NODE $n $PROBE_EXPECT $(( $(date +%s) - t0 ))"',
  'exec sleep 900',
].join('\n');

/** One pair, from the pinging node to the pinged one. Only `fail` is a failure; the rest say why nothing was measured. */
export type PairResult = 'ok' | 'fail' | 'not-in-dns' | 'no-report' | 'not-started';

/** What one node's probe task did. */
export interface TaskView {
  /** its task ran (it printed something, or Docker says it is running) */
  started: boolean;
  /** why it did not: the task's state and error, or that none was scheduled */
  notStartedWhy?: string;
  /** how many tasks it saw in DNS, of how many, after how long */
  seen?: number;
  expected?: number;
  waitedS?: number;
  /** it printed its last line */
  done: boolean;
}

export interface Reachability {
  /** the nodes probed, natural order */
  nodes: string[];
  /** pair[from][to] for from ≠ to */
  pair: Record<string, Record<string, PairResult>>;
  tasks: Record<string, TaskView>;
  failed: Array<[from: string, to: string]>;
  /** pairs measured with an answer */
  ok: number;
  /** pairs not measured */
  unmeasured: number;
}

export const TERMINAL = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

/**
 * Turns the probes' log lines and tasks into the N×N matrix: every pair
 * either answered, failed, or says why it was not measured. Pure, so it is
 * tested on its own.
 */
export function buildMatrix(nodes: string[], logs: string, tasks: ServiceTask[], hostnameOf: (nodeId: string) => string): Reachability {
  const sorted = [...nodes].sort(naturalCompare);
  const ipToNode = new Map<string, string>();
  for (const t of tasks) for (const a of t.addresses) ipToNode.set(a, hostnameOf(t.nodeId));
  const printed = new Set<string>();
  const views: Record<string, TaskView> = Object.fromEntries(sorted.map((n) => [n, { started: false, done: false }]));
  const results = new Map<string, boolean>();
  for (const line of logs.split('\n')) {
    const m = /PROBE(-SEEN|-DONE)? (\S+) (\S+)(?: (\S+))?(?: (\d+))?/.exec(line);
    if (!m) continue;
    const [, kind, node, a, b, c] = m;
    const view = views[node!];
    if (!view) continue;
    printed.add(node!);
    if (kind) {
      // PROBE-SEEN says what the task saw before it pinged; PROBE-DONE repeats it (older probes printed only that)
      if (kind === '-SEEN' || view.seen === undefined) {
        view.seen = Number(a);
        if (b !== undefined) view.expected = Number(b);
        if (c !== undefined) view.waitedS = Number(c);
      }
      if (kind === '-DONE') view.done = true;
      continue;
    }
    const to = ipToNode.get(a!);
    if (!to || to === node || (b !== 'ok' && b !== 'fail')) continue;
    const key = `${node}\u0000${to}`;
    results.set(key, (results.get(key) ?? true) && b === 'ok');
  }
  for (const n of sorted) {
    const own = tasks.filter((t) => hostnameOf(t.nodeId) === n);
    const view = views[n]!;
    view.started = printed.has(n) || own.some((t) => t.state === 'running');
    if (!view.started) {
      const last = own.find((t) => TERMINAL.has(t.state)) ?? own[0];
      view.notStartedWhy = last ? `${last.state}${last.error ? `: ${last.error}` : ''}` : 'no task was scheduled there';
    }
  }
  const pair: Reachability['pair'] = {};
  const failed: Array<[string, string]> = [];
  let ok = 0;
  let unmeasured = 0;
  for (const from of sorted) {
    pair[from] = {};
    for (const to of sorted) {
      if (from === to) continue;
      const r = results.get(`${from}\u0000${to}`);
      const cell: PairResult =
        r !== undefined ? (r ? 'ok' : 'fail') : !views[from]!.started || !views[to]!.started ? 'not-started' : views[from]!.done ? 'not-in-dns' : 'no-report';
      pair[from]![to] = cell;
      if (cell === 'ok') ok++;
      else if (cell === 'fail') failed.push([from, to]);
      else unmeasured++;
    }
  }
  return { nodes: sorted, pair, tasks: views, failed, ok, unmeasured };
}

const SYMBOL: Record<PairResult, string> = { ok: 'ok', fail: 'FAIL', 'not-in-dns': 'dns', 'no-report': 'late', 'not-started': 'none' };
export const MATRIX_LEGEND =
  'ok: answered ping · FAIL: no answer · not measured: dns (the row never saw that node in `tasks.<probe>` DNS), late (the row did not report in time), none (a probe task never started on the row\'s or the column\'s node) · ·: itself';

export function renderMatrix(r: Reachability): { columns: string[]; rows: string[][] } {
  const columns = ['FROM \\ TO', ...r.nodes];
  const rows = r.nodes.map((from) => [from, ...r.nodes.map((to) => (from === to ? '·' : SYMBOL[r.pair[from]![to]!]))]);
  return { columns, rows };
}

const HEAT: Record<PairResult, CellKind> = { ok: CELL.ok, fail: CELL.fail, 'not-in-dns': CELL.notInDns, 'no-report': CELL.noReport, 'not-started': CELL.notStarted };

export function heatmapOf(r: Reachability, title: string): Buffer {
  return heatmapPng({ title, labels: r.nodes, cell: (i, j) => (i === j ? CELL.self : HEAT[r.pair[r.nodes[i]!]![r.nodes[j]!]!]) });
}

