/**
 * `npm run soak`: twenty consecutive `overlay check`s of a working plain
 * overlay on the 5-node lab (3 managers and 2 workers), through the same
 * path as the worker. Every one must pass; the run says how long each took
 * and stops at nothing. Not part of CI: it takes a few minutes and owns the
 * lab while it runs (it waits for any test run to finish first, and leaves
 * the lab as `lab.sh up` does).
 *
 * `-- --runs N` for another count; `-- --nodes N` for another lab size.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { median, ROOT } from './lib.js';
import { checkOnce, labWithOverlay, restoreLab, type CheckRun } from './overlay.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const runs = option('runs', 20);
const nodes = option('nodes', 5);
const say = (s: string) => process.stderr.write(`[soak] ${s}\n`);

const results: CheckRun[] = [];
try {
  const { creds } = await labWithOverlay(nodes, 'soak-net', say);
  for (let i = 1; i <= runs; i++) {
    const r = await checkOnce(creds, 'soak-net');
    results.push(r);
    say(`${String(i).padStart(2)}/${runs} ${r.ok ? 'passed' : 'FAILED'} in ${(r.wallMs / 1000).toFixed(1)} s (probe ${r.probeS ?? '?'} s)`);
    if (!r.ok) process.stderr.write(r.output);
  }
} finally {
  await restoreLab(say);
}

const passed = results.filter((r) => r.ok).length;
const times = results.map((r) => r.wallMs / 1000);
const summary = {
  at: new Date().toISOString(),
  nodes,
  runs,
  passed,
  seconds: { median: median(times), max: Math.max(...times), min: Math.min(...times) },
  each: results.map(({ output: _o, ...r }) => r),
  failures: results.filter((r) => !r.ok).map((r) => r.output),
};
const file = path.join(ROOT, 'bench/soak.json');
writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
console.log(`overlay check soak on a ${nodes}-node lab: ${passed} of ${results.length} passed; median ${summary.seconds.median.toFixed(1)} s, max ${summary.seconds.max.toFixed(1)} s (${path.relative(process.cwd(), file)})`);
process.exitCode = passed === runs ? 0 : 1;
