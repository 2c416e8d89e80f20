/**
 * `npm run bench`: speed and memory of the parts that matter, every figure
 * a ratio to a baseline measured in the same run (the machine is shared and
 * noisy). Prints a table and writes it as JSON (bench/results.json, or
 * `--json FILE`).
 *
 *  ack         cold acknowledgement of the packaged slack bundle vs a bare
 *              Bolt app bundled the same way; warm p50/p99 over 2,000 and RSS
 *  loads       loading each packaged function, vs `node -e 0`
 *  synthetic   swarms of 10 to 5,000 nodes: status and nodes render time,
 *              Slack's limits
 *  lab         (lab up) status vs `docker node ls` + `docker info`; a watch pass
 *  overlay     (opt-in: `-- --overlay`, minutes; starts and stops labs of 4, 8
 *              and 12 nodes, then leaves the lab as `lab.sh up` does)
 *  before      (with `-- --before REF`) the slack and worker bundles' cold
 *              load now vs commit REF, bundled and loaded alternately here
 *
 * `-- --only ack,synthetic` runs some sections; `-- --quick` fewer repetitions.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundles, coldAck, warmAck } from './ack.js';
import { loadsBefore } from './before.js';
import { labStatus } from './lab-status.js';
import { kib, labCreds, median, mib, ms, nodeProcess, readLab, ROOT, type Row } from './lib.js';
import { overlayTimes } from './overlay.js';
import { synthetic } from './synthetic.js';
import { servicesLab, servicesSynthetic } from './services.js';
import { watchServices } from './watch-services.js';
import { benchWatchPass } from './watch-pass.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
};
const quick = flag('quick');
const only = option('only')?.split(',');
const wanted = (s: string) => (s === 'before' ? option('before') !== undefined : only ? only.includes(s) : s !== 'overlay' || flag('overlay'));
const jsonFile = path.resolve(option('json') ?? path.join(ROOT, 'bench/results.json'));
const say = (s: string) => process.stderr.write(`[bench] ${s}\n`);

const rows: Row[] = [];
const skipped: string[] = [];

/** loading each packaged function in a fresh process (what a cold start pays before any request), vs `node -e 0` */
async function loads(dir: string): Promise<Row[]> {
  const env = { ...process.env, NODE_OPTIONS: '--enable-source-maps', SSM_PREFIX: '/b', WORKER_FUNCTION_NAME: 'w', AWS_REGION: 'eu-west-1', STATE_TABLE: 'swarm-ops-bench-state' };
  const load = async (code: string) => {
    const times: number[] = [];
    let rss = 0;
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      const r = await nodeProcess<{ rss: number }>(`${code};console.log(JSON.stringify({ rss: process.memoryUsage().rss }))`, env);
      times.push(r.wallMs);
      rss = r.out.rss;
    }
    return { t: median(times), rss };
  };
  const base = await load('0');
  const out: Row[] = [];
  for (const fn of ['slack', 'worker', 'rotate', 'sweep', 'watch']) {
    try {
      execFileSync('unzip', ['-qo', path.join(dir, 'pkg', `${fn}.zip`), '-d', path.join(dir, fn)]);
    } catch {
      continue;
    }
    const file = path.join(dir, fn, 'src/handlers', `${fn}.js`);
    const r = await load(`require(${JSON.stringify(file)})`);
    const bytes = (await import('node:fs')).statSync(file).size;
    out.push({ section: 'loads', measure: `load ${fn} bundle (${kib(bytes)})`, value: ms(r.t), baseline: `node -e 0 ${ms(base.t)}`, ratio: r.t / base.t, data: { bytes, rss: r.rss } });
    out.push({ section: 'loads', measure: `  RSS after loading ${fn}`, value: mib(r.rss), baseline: `node -e 0 ${mib(base.rss)}`, ratio: r.rss / base.rss });
  }
  return out;
}

async function section(name: string, fn: () => Promise<Row[]>) {
  if (!wanted(name)) return;
  say(`${name}…`);
  try {
    rows.push(...(await fn()));
  } catch (err) {
    say(`${name} FAILED: ${err instanceof Error ? err.stack : String(err)}`);
    rows.push({ section: name, measure: 'FAILED', value: String(err instanceof Error ? err.message : err).slice(0, 200), baseline: '-' });
  }
}

if (wanted('ack') || wanted('loads')) {
  const bundles = await buildBundles(say);
  await section('ack', async () => [...(await coldAck(bundles, quick ? 5 : 10)), ...(await warmAck(bundles, quick ? 500 : 2000))]);
  if (bundles.how === 'serverless package') await section('loads', () => loads(bundles.dir));
}
await section('before', () => loadsBefore(option('before')!, quick ? 5 : 15, say));
await section('synthetic', () => synthetic(quick ? 3 : 7));
await section('services', () => servicesSynthetic(quick ? 3 : 7));
await section('watch-services', () => watchServices(quick ? 3 : 10));
if (wanted('lab')) {
  const lab = readLab();
  if (!lab) {
    skipped.push('lab: not up (npm run lab -- up)');
  } else {
    await section('lab', () => labStatus(lab, quick ? 5 : 15));
    await section('lab', () => servicesLab(lab, quick ? 5 : 15));
    // the watch: one pass (warm function, nothing wrong) and its Docker requests, vs `docker node ls` typed by an operator
    await section('lab', async () => {
      const w = await benchWatchPass(lab, labCreds(lab));
      return [
        { section: 'watch', measure: `watch pass over the lab (${w.nodes} swarm nodes), p50`, value: ms(w.pass.p50), baseline: `docker node ls (CLI) ${ms(w.cli.p50)}`, ratio: w.pass.p50 / w.cli.p50 },
        { section: 'watch', measure: '  Docker API requests per watch pass', value: String(w.pass.calls), baseline: `docker node ls: ${w.cli.calls}`, ratio: w.pass.calls / w.cli.calls },
        { section: 'watch', measure: '  first pass (TLS set-up, certificates checked)', value: `${ms(w.firstPass.ms)}, ${w.firstPass.calls} requests`, baseline: `docker node ls: ${w.cli.calls}`, ratio: w.firstPass.calls / w.cli.calls },
      ];
    });
  }
}
if (wanted('overlay')) await section('overlay', () => overlayTimes(say, [4, 8, 12], quick ? 1 : 3));
else skipped.push('overlay: opt-in (npm run bench -- --overlay)');

// ---- the table --------------------------------------------------------------

const head = ['section', 'measure', 'value', 'baseline (same run)', 'ratio', 'target'];
const cells = rows.map((r) => [r.section, r.measure, r.value, r.baseline, r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`, r.target ?? '']);
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
console.log(line(head));
for (const c of cells) console.log(line(c));
for (const s of skipped) console.log(`(skipped ${s})`);

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
})();
writeFileSync(
  jsonFile,
  JSON.stringify({ at: new Date().toISOString(), commit, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, quick, skipped, rows }, null, 2) + '\n',
);
say(`written ${path.relative(process.cwd(), jsonFile)}`);
