/**
 * The acknowledgement, cold and warm, against a bare Bolt app measured in the
 * same run and bundled the same way (bench/bare-bolt.ts).
 *
 * Cold: a fresh node process loads the packaged `slack` bundle and answers
 * one signed `/swarm status` (SSM and Lambda stand-ins served by this
 * process), against a fresh process that loads the bare Bolt bundle and
 * answers the same request. Both run with the functions' NODE_OPTIONS.
 *
 * Warm: 2,000 signed requests, one after another, in one process: our
 * handler with its secrets, policy and queue in memory (no network), and
 * the bare Bolt handler; RSS after loading and after the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLambdaStandIn, startSsmStandIn } from '../test/support/stand-ins.js';
import { slashCommandEvent } from '../test/support/slack-requests.js';
import { bundleLikeServerless, kib, median, mib, ms, nodeProcess, pct, ROOT, type Row } from './lib.js';

const SECRET = 'bench-signing-secret';
const POLICY = JSON.stringify({ defaultCluster: 'lab', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: ['*'], approver: [] } });
/** what serverless.yml gives every function */
const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

interface Bundles {
  dir: string;
  ours: string;
  bare: string;
  /** the bare app with Bolt's unused receivers stubbed by hand (bench/trimmed-bolt-plugins.cjs) */
  trimmed: string;
  warm: string;
  /** how ours was built */
  how: string;
}

/** The packaged slack bundle (serverless package), the bare Bolt app and the warm entry bundled the same way. */
export async function buildBundles(say: (s: string) => void): Promise<Bundles> {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-bench-'));
  let ours = path.join(dir, 'slack/src/handlers/slack.js');
  let how = 'serverless package';
  try {
    say('packaging the functions (npx serverless package)…');
    execFileSync('npx', ['serverless', 'package', '--package', path.join(dir, 'pkg')], { cwd: ROOT, stdio: 'ignore', timeout: 300_000 });
    execFileSync('unzip', ['-qo', path.join(dir, 'pkg/slack.zip'), '-d', path.join(dir, 'slack')]);
  } catch (err) {
    // a broken package elsewhere must not hide the ack figures: bundle the handler the same way instead, and say so
    say(`serverless package failed (${String(err).split('\n')[0]}); bundling src/handlers/slack.ts with the same esbuild settings`);
    ours = path.join(dir, 'direct/slack.js');
    await bundleLikeServerless(path.join(ROOT, 'src/handlers/slack.ts'), ours);
    how = 'esbuild, serverless.yml settings (package failed)';
  }
  if (!existsSync(ours)) throw new Error(`no slack bundle at ${ours}`);
  mkdirSync(path.join(dir, 'bare'), { recursive: true });
  const bare = path.join(dir, 'bare/handler.js');
  await bundleLikeServerless(path.join(ROOT, 'bench/bare-bolt.ts'), bare);
  const trimmed = path.join(dir, 'trimmed/handler.js');
  await bundleLikeServerless(path.join(ROOT, 'bench/bare-bolt.ts'), trimmed, ROOT, [path.join(ROOT, 'bench/trimmed-bolt-plugins.cjs')]);
  const warm = path.join(dir, 'warm/handler.js');
  await bundleLikeServerless(path.join(ROOT, 'bench/warm-entry.ts'), warm);
  return { dir, ours, bare, trimmed, warm, how };
}

interface ColdOut {
  loadMs: number;
  ackMs: number;
  /** since the process started */
  totalMs: number;
  status: number;
  body: string;
  rss: number;
}

const COLD_DRIVER = `
const t0 = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
Promise.resolve(mod.handler(JSON.parse(process.env.BENCH_EVENT), { functionName: 'slack', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 })).then(
  (res) => {
    const t2 = performance.now();
    console.log(JSON.stringify({ loadMs: t1 - t0, ackMs: t2 - t1, totalMs: t2, status: res.statusCode, body: res.body, rss: process.memoryUsage().rss }));
    process.exit(0);
  },
  (err) => { console.error(err); process.exit(1); },
);`;

const childEnv = (over: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _drop, ...rest } = process.env;
  return { ...rest, NODE_OPTIONS: FUNCTION_NODE_OPTIONS, ...over };
};

export async function coldAck(b: Bundles, runs = 10): Promise<Row[]> {
  const ssm = await startSsmStandIn([
    { name: '/bench/slack/signing-secret', type: 'SecureString', value: SECRET },
    { name: '/bench/slack/bot-token', type: 'SecureString', value: 'xoxb-bench' },
    { name: '/bench/slack/bot-user-id', type: 'String', value: 'U0BENCH' },
    { name: '/bench/policy', type: 'String', value: POLICY },
  ]);
  const lambda = await startLambdaStandIn();
  const event = () => JSON.stringify(slashCommandEvent({ text: 'status', secret: SECRET, user: 'U0OPS', channel: 'C0OPS', responseUrl: 'https://hooks.slack.com/commands/T0/1/bench' }));
  const oursEnv = childEnv({
    BENCH_BUNDLE: b.ours,
    SSM_PREFIX: '/bench',
    WORKER_FUNCTION_NAME: 'swarm-ops-bench-worker',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
  });
  const envs = {
    ours: oursEnv,
    bare: childEnv({ BENCH_BUNDLE: b.bare, SLACK_SIGNING_SECRET: SECRET }),
    trimmed: childEnv({ BENCH_BUNDLE: b.trimmed, SLACK_SIGNING_SECRET: SECRET }),
  };
  const variants = Object.keys(envs) as Array<keyof typeof envs>;
  const samples: Record<keyof typeof envs, Array<{ wallMs: number; out: ColdOut }>> = { ours: [], bare: [], trimmed: [] };
  const empty: number[] = [];
  try {
    // one of each first (disk cache), then alternating so that drift hits all alike
    for (const v of variants) await nodeProcess(COLD_DRIVER, { ...envs[v], BENCH_EVENT: event() });
    for (let i = 0; i < runs; i++) {
      for (const v of variants) samples[v].push(await nodeProcess<ColdOut>(COLD_DRIVER, { ...envs[v], BENCH_EVENT: event() }));
      empty.push((await nodeProcess('console.log("{}")', childEnv({}))).wallMs);
    }
  } finally {
    await Promise.all([ssm.close(), lambda.close()]);
  }
  const { ours, bare, trimmed } = samples;
  for (const r of [...ours, ...bare, ...trimmed]) if (r.out.status !== 200) throw new Error(`a cold acknowledgement answered ${r.out.status}: ${r.out.body}`);
  if (!ours.every((r) => /Working on `\/swarm status`/.test(r.out.body))) throw new Error(`unexpected acknowledgement: ${ours[0]!.out.body}`);
  if (lambda.invocations.length !== runs + 1) throw new Error(`expected ${runs + 1} worker invokes, got ${lambda.invocations.length}`);
  /** the median of `f` over each variant's samples */
  const each = (f: (x: { wallMs: number; out: ColdOut }) => number) => ({ ours: median(ours.map(f)), bare: median(bare.map(f)), trimmed: median(trimmed.map(f)) });
  const oursBytes = readFileSync(b.ours).length;
  const bareBytes = readFileSync(b.bare).length;
  const trimmedBytes = readFileSync(b.trimmed).length;
  const section = 'cold ack';
  const wall = each((x) => x.wallMs);
  const inproc = each((x) => x.out.loadMs + x.out.ackMs);
  const rss = each((x) => x.out.rss);
  return [
    {
      section,
      measure: `fresh process → first signed /swarm status answered (median of ${runs}; ours: SSM + Lambda stand-ins)`,
      value: ms(wall.ours),
      baseline: `bare Bolt ${ms(wall.bare)}`,
      ratio: wall.ours / wall.bare,
      target: '≤ 0.90×',
      data: { ours: ours.map((x) => x.wallMs), bare: bare.map((x) => x.wallMs), trimmed: trimmed.map((x) => x.wallMs), nodeEmpty: empty },
    },
    {
      section,
      measure: '  of which loading the bundle + the first answer (in the process)',
      value: ms(inproc.ours),
      baseline: `bare Bolt ${ms(inproc.bare)}`,
      ratio: inproc.ours / inproc.bare,
      data: { oursLoad: ours.map((x) => x.out.loadMs), oursAck: ours.map((x) => x.out.ackMs), bareLoad: bare.map((x) => x.out.loadMs), bareAck: bare.map((x) => x.out.ackMs) },
    },
    { section, measure: '  node itself (start, print, exit)', value: ms(median(empty)), baseline: `bare Bolt ${ms(wall.bare)}`, ratio: median(empty) / wall.bare },
    { section, measure: `bundle bytes (slack.js, minified; ${b.how})`, value: kib(oursBytes), baseline: `bare Bolt ${kib(bareBytes)}`, ratio: oursBytes / bareBytes, target: '≤ 0.90×', data: { ours: oursBytes, bare: bareBytes } },
    { section, measure: 'RSS after the first answer', value: mib(rss.ours), baseline: `bare Bolt ${mib(rss.bare)}`, ratio: rss.ours / rss.bare },
    // the stricter comparison: a bare Bolt app cut down by hand (no target; see bench/trimmed-bolt-plugins.cjs)
    { section, measure: '  the same, against a bare Bolt trimmed by hand (Socket Mode, Express, raw-body stubbed)', value: ms(wall.ours), baseline: `trimmed Bolt ${ms(wall.trimmed)}`, ratio: wall.ours / wall.trimmed },
    { section, measure: '  bytes, against the trimmed bare Bolt', value: kib(oursBytes), baseline: `trimmed Bolt ${kib(trimmedBytes)}`, ratio: oursBytes / trimmedBytes, data: { trimmed: trimmedBytes } },
    { section, measure: '  RSS, against the trimmed bare Bolt', value: mib(rss.ours), baseline: `trimmed Bolt ${mib(rss.trimmed)}`, ratio: rss.ours / rss.trimmed },
  ];
}

interface WarmOut {
  times: number[];
  rssLoad: number;
  rssRun: number;
  rssGc: number;
  heapLoad: number;
  heapGc: number;
}

/** signs each event in the child, before the clock starts; then 100 to warm up and `n` timed, one after another */
const WARM_DRIVER = `
const { createHmac } = require('node:crypto');
const gc = globalThis.gc;
const mod = require(process.env.BENCH_BUNDLE);
gc(); const rssLoad = process.memoryUsage().rss; const heapLoad = process.memoryUsage().heapUsed;
const n = Number(process.env.BENCH_N);
const now = Math.floor(Date.now() / 1000);
const events = Array.from({ length: n + 100 }, (_, i) => {
  const body = process.env.BENCH_BODY.replace('RESPONSE_ID', String(i));
  const signature = 'v0=' + createHmac('sha256', process.env.SLACK_SIGNING_SECRET).update('v0:' + now + ':' + body).digest('hex');
  return { version: '2.0', rawPath: '/slack/events', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': signature }, body, isBase64Encoded: false };
});
(async () => {
  const times = [];
  for (let i = 0; i < events.length; i++) {
    const t = performance.now();
    const res = await mod.handler(events[i], {});
    if (i >= 100) times.push(performance.now() - t);
    if (res.statusCode !== 200) throw new Error('answered ' + res.statusCode + ' ' + res.body);
  }
  const rssRun = process.memoryUsage().rss;
  events.length = 0; gc();
  process.stdout.write('\\n' + JSON.stringify({ times, rssLoad, rssRun, rssGc: process.memoryUsage().rss, heapLoad, heapGc: process.memoryUsage().heapUsed }) + '\\n');
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });`;

/** percentiles instead of every sample: the JSON file stays readable */
const spread = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: Math.max(...xs) });

export async function warmAck(b: Bundles, n = 2000): Promise<Row[]> {
  const body = new URLSearchParams({
    token: 'x',
    team_id: 'T0',
    channel_id: 'C0OPS',
    user_id: 'U0OPS',
    command: '/swarm',
    text: 'status',
    response_url: 'https://hooks.slack.com/commands/T0/RESPONSE_ID/bench',
    trigger_id: '1.2.3',
  }).toString();
  const env = (bundle: string) => childEnv({ BENCH_BUNDLE: bundle, BENCH_N: String(n), BENCH_BODY: body, SLACK_SIGNING_SECRET: SECRET, BENCH_POLICY: POLICY });
  const ours = (await nodeProcess<WarmOut>(WARM_DRIVER, env(b.warm), ['--expose-gc'])).out;
  const bare = (await nodeProcess<WarmOut>(WARM_DRIVER, env(b.bare), ['--expose-gc'])).out;
  const section = 'warm ack';
  const p = (o: WarmOut, q: number) => pct(o.times, q);
  return [
    { section, measure: `p50 over ${n} signed /swarm status (secrets, policy, queue in memory; no network)`, value: ms(p(ours, 50)), baseline: `bare Bolt ${ms(p(bare, 50))}`, ratio: p(ours, 50) / p(bare, 50) },
    { section, measure: `p99 over ${n}`, value: ms(p(ours, 99)), baseline: `bare Bolt ${ms(p(bare, 99))}`, ratio: p(ours, 99) / p(bare, 99), target: '< 5 ms', data: { ours: spread(ours.times), bare: spread(bare.times) } },
    { section, measure: 'RSS after loading (after GC)', value: mib(ours.rssLoad), baseline: `bare Bolt ${mib(bare.rssLoad)}`, ratio: ours.rssLoad / bare.rssLoad },
    { section, measure: `RSS after the ${n} (before GC / after GC)`, value: `${mib(ours.rssRun)} / ${mib(ours.rssGc)}`, baseline: `bare Bolt ${mib(bare.rssRun)} / ${mib(bare.rssGc)}`, ratio: ours.rssGc / bare.rssGc },
    {
      section,
      measure: 'heap growth over the run (after GC)',
      value: mib(ours.heapGc - ours.heapLoad),
      baseline: `bare Bolt ${mib(bare.heapGc - bare.heapLoad)}`,
      data: { ours: { heapLoad: ours.heapLoad, heapGc: ours.heapGc }, bare: { heapLoad: bare.heapLoad, heapGc: bare.heapGc } },
    },
  ];
}
