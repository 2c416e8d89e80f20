/**
 * `npm run bench`: speed and memory of the parts that matter, each quoted as a
 * ratio to a baseline measured in the same run (the machine is shared and noisy).
 *
 *  1. acknowledgement path: a signed /swarm command through Bolt's Lambda receiver,
 *     SSM (warm cache) and the async Lambda invoke, vs one bare HTTP POST to the
 *     same Lambda stand-in (the invoke's unavoidable network step);
 *  2. cold start: loading each packaged bundle in a fresh node, vs `node -e 0`;
 *  3. rendering `/swarm nodes` of 1003 nodes into Block Kit vs JSON.stringify of the nodes;
 *  4. (lab up only) /swarm status against the real swarm vs one TLS `GET /_ping`;
 *     a watch pass (time and Docker API requests) vs `docker node ls` through the CLI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { LambdaQueue } from '../src/adapters/lambda-queue.js';
import { SsmParameters } from '../src/adapters/ssm-parameters.js';
import { DockerSwarm } from '../src/adapters/docker-swarm.js';
import { createSlackHandler } from '../src/app/ingress.js';
import { nodes as nodesAction } from '../src/actions/nodes.js';
import { status } from '../src/actions/status.js';
import { parsePolicy } from '../src/config/policy.js';
import { renderBlockKit } from '../src/render/block-kit.js';
import { startLambdaStandIn, startSsmStandIn } from '../test/support/stand-ins.js';
import { slashCommandEvent } from '../test/support/slack-requests.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../test/support/fixtures.js';
import { MemoryState } from '../test/support/fakes.js';
import { readOnly } from '../src/ports.js';
import { benchWatchPass } from './watch-pass.js';

const quiet = { info() {}, warn() {}, error() {}, appendKeys() {}, resetKeys() {} };
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const rows: string[][] = [];
const row = (what: string, value: string, baseline: string, ratio: number) => rows.push([what, value, baseline, `${ratio.toFixed(2)}×`]);

async function timeMany(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function ackPath() {
  const policy = { defaultCluster: 'lab', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: ['*'], approver: [] } };
  const ssm = await startSsmStandIn([
    { name: '/b/slack/signing-secret', type: 'SecureString', value: 'bench-secret' },
    { name: '/b/slack/bot-token', type: 'SecureString', value: 'xoxb-bench' },
    { name: '/b/slack/bot-user-id', type: 'String', value: 'U0BOT' },
    { name: '/b/policy', type: 'String', value: JSON.stringify(policy) },
  ]);
  const lambda = await startLambdaStandIn();
  const creds = { region: 'eu-west-1', credentials: { accessKeyId: 'b', secretAccessKey: 'b' } };
  const params = new SsmParameters(new SSMClient({ ...creds, endpoint: ssm.url }), '/b');
  const handler = createSlackHandler({
    secrets: () => params.slackSecrets(),
    policies: params,
    queue: new LambdaQueue(new LambdaClient({ ...creds, endpoint: lambda.url }), 'worker'),
    log: quiet,
    clock: { now: () => new Date() },
  });
  const event = () => slashCommandEvent({ text: 'status', secret: 'bench-secret', responseUrl: 'http://127.0.0.1:9/r' }) as never;
  await timeMany(50, () => handler(event(), {})); // warm up (and the one cold SSM read)
  const heap = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = heap();
  const ack = await timeMany(500, () => handler(event(), {}));
  const heapAfter = heap();
  const rawPost = await timeMany(500, () =>
    fetch(`${lambda.url}/2015-03-31/functions/worker/invocations`, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: '{}' }).then((r) => r.text()),
  );
  row('ack path p50 (signed /swarm status → 200)', ms(pct(ack, 50)), `raw POST ${ms(pct(rawPost, 50))}`, pct(ack, 50) / pct(rawPost, 50));
  row('ack path p99', ms(pct(ack, 99)), `raw POST ${ms(pct(rawPost, 99))}`, pct(ack, 99) / pct(rawPost, 99));
  rows.push(['SSM calls for 550 acks (cache 60 s)', String(params.calls), '-', '-']);
  rows.push([`heap growth over 500 acks${(globalThis as { gc?: unknown }).gc ? ' (after GC)' : ' (no --expose-gc)'}`, `${((heapAfter - heapBefore) / 1048576).toFixed(2)} MiB`, '-', '-']);
  await Promise.all([ssm.close(), lambda.close()]);
}

function coldStart() {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-bench-'));
  execFileSync('npx', ['serverless', 'package', '--package', dir], { stdio: 'ignore', timeout: 240_000 });
  const env = { ...process.env, SSM_PREFIX: '/b', WORKER_FUNCTION_NAME: 'w', AWS_REGION: 'eu-west-1' };
  // wall time of a fresh node process that loads the bundle (what a cold start pays), vs one that loads nothing
  const load = (code: string) => {
    const xs: number[] = [];
    let rss = 0;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const out = execFileSync(process.execPath, ['-e', `${code};console.log(process.memoryUsage().rss)`], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      xs.push(performance.now() - t);
      rss = Number(out.trim());
    }
    return { t: pct(xs, 50), rss };
  };
  const base = load('0');
  for (const fn of ['slack', 'worker', 'rotate']) {
    execFileSync('unzip', ['-qo', path.join(dir, `${fn}.zip`), '-d', path.join(dir, fn)]);
    const file = path.join(dir, fn, 'src/handlers', `${fn}.js`);
    const r = load(`require(${JSON.stringify(file)})`);
    const size = readFileSync(file).length;
    row(`cold load of ${fn} bundle (${(size / 1024).toFixed(0)} KiB)`, ms(r.t), `node -e 0: ${ms(base.t)}`, r.t / base.t);
    rows.push([`  RSS after loading ${fn}`, `${(r.rss / 1048576).toFixed(0)} MiB`, `${(base.rss / 1048576).toFixed(0)} MiB`, `${(r.rss / base.rss).toFixed(2)}×`]);
  }
}

async function rendering() {
  const nodes = [manager('mgr-1', { leader: true }), manager('mgr-2'), manager('mgr-3')];
  for (let i = 0; i < 1000; i++) nodes.push(worker(`wrk-${i}`, i % 50 === 0 ? { state: 'down' } : {}));
  const policy = parsePolicy(JSON.stringify({ defaultCluster: 'b', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }));
  const swarm = new FakeSwarm(nodes, { info: daemonInfo() });
  const ctx = { swarm: readOnly(swarm), policy, cluster: 'b', user: 'U', requestId: 'r', clock: { now: () => new Date() }, history: new MemoryState(), progress: () => undefined };
  const render = await timeMany(200, async () => renderBlockKit(await nodesAction.run(ctx, { filter: undefined, page: undefined })));
  const baseline = await timeMany(200, async () => JSON.stringify(nodes));
  row('/swarm nodes of 1003 nodes → Block Kit', ms(pct(render, 50)), `JSON.stringify ${ms(pct(baseline, 50))}`, pct(render, 50) / pct(baseline, 50));
}

async function againstLab() {
  const labJson = path.join(process.env.SWARM_LAB_DIR ?? '/tmp/swarm-ops-lab', 'lab.json');
  if (!existsSync(labJson)) {
    rows.push(['status against the lab', 'skipped: lab not up (npm run lab -- up)', '-', '-']);
    return;
  }
  const lab = JSON.parse(readFileSync(labJson, 'utf8'));
  const creds = {
    endpoints: lab.nodes.filter((n: { role: string }) => n.role === 'manager').map((n: { url: string }) => n.url),
    ca: readFileSync(lab.tls.ca, 'utf8'),
    cert: readFileSync(lab.tls.cert, 'utf8'),
    key: readFileSync(lab.tls.key, 'utf8'),
  };
  const swarm = new DockerSwarm(creds);
  const policy = parsePolicy(JSON.stringify({ defaultCluster: 'lab', auditChannel: 'C', roles: { viewer: ['*'], operator: [], approver: [] } }));
  const ctx = { swarm: readOnly(swarm), policy, cluster: 'lab', user: 'U', requestId: 'r', clock: { now: () => new Date() }, history: new MemoryState(), progress: () => undefined };
  await status.run(ctx, {});
  const full = await timeMany(30, () => status.run(ctx, {}));
  const [host, port] = creds.endpoints[0].replace('tcp://', '').split(':');
  const https = await import('node:https');
  const agent = new https.Agent({ keepAlive: false });
  const ping = await timeMany(30, () => new Promise<void>((resolve, reject) => {
    https.get({ host, port: Number(port), path: '/_ping', ca: creds.ca, cert: creds.cert, key: creds.key, agent }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', reject);
  }));
  row('/swarm status against the 3-manager lab', ms(pct(full, 50)), `TLS GET /_ping ${ms(pct(ping, 50))}`, pct(full, 50) / pct(ping, 50));

  // the watch: one pass (warm function, nothing wrong) and its Docker requests, vs `docker node ls` typed by an operator
  const w = await benchWatchPass(lab, creds);
  row(`watch pass over the lab (${w.nodes} swarm nodes of ${lab.nodes.length}), p50`, ms(w.pass.p50), `docker node ls (CLI) ${ms(w.cli.p50)}`, w.pass.p50 / w.cli.p50);
  row('  Docker API requests per watch pass', String(w.pass.calls), `docker node ls: ${w.cli.calls}`, w.pass.calls / w.cli.calls);
  row('  first pass (TLS set-up, certificates checked)', `${ms(w.firstPass.ms)}, ${w.firstPass.calls} requests`, `docker node ls: ${w.cli.calls}`, w.firstPass.calls / w.cli.calls);
}

await ackPath();
await rendering();
await againstLab();
coldStart();

const widths = [0, 1, 2, 3].map((i) => Math.max(...[['measure', 'value', 'baseline', 'ratio'], ...rows].map((r) => r[i]!.length)));
for (const r of [['measure', 'value', 'baseline', 'ratio'], ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
