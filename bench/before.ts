/**
 * `--before REF`: the functions' cold load now against an earlier commit,
 * measured in the same run. REF is checked out in a temporary git worktree
 * (sharing this node_modules), each handler is bundled from both trees with
 * the serverless.yml esbuild settings and each tree's own plugins, and fresh
 * processes load them alternately, so the machine's noise falls on both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleLikeServerless, kib, median, ms, nodeProcess, ROOT, type Row } from './lib.js';

const ENV = { ...process.env, NODE_OPTIONS: '--enable-source-maps', SSM_PREFIX: '/b', WORKER_FUNCTION_NAME: 'w', AWS_REGION: 'eu-west-1', STATE_TABLE: 'swarm-ops-bench-state' };

export async function loadsBefore(ref: string, runs: number, say: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-before-'));
  const tree = path.join(dir, 'tree');
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  say(`checking out ${ref} (${commit}) in a worktree…`);
  execFileSync('git', ['worktree', 'add', '--detach', '-f', tree, commit], { cwd: ROOT, stdio: 'ignore' });
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    const rows: Row[] = [];
    for (const fn of ['slack', 'worker']) {
      if (!existsSync(path.join(tree, 'src/handlers', `${fn}.ts`))) continue;
      const then = path.join(dir, 'then', fn, 'handler.js');
      const now = path.join(dir, 'now', fn, 'handler.js');
      await bundleLikeServerless(path.join(tree, 'src/handlers', `${fn}.ts`), then, tree);
      await bundleLikeServerless(path.join(ROOT, 'src/handlers', `${fn}.ts`), now);
      const times = { then: [] as number[], now: [] as number[] };
      for (let i = 0; i < runs; i++) {
        for (const [k, file] of [['then', then], ['now', now]] as const) {
          times[k].push((await nodeProcess(`require(${JSON.stringify(file)});console.log('{}')`, ENV)).wallMs);
        }
      }
      const [t, n] = [median(times.then), median(times.now)];
      const [tb, nb] = [statSync(then).size, statSync(now).size];
      rows.push({ section: 'before', measure: `load ${fn} bundle, now vs ${commit} (median of ${runs}, alternating)`, value: ms(n), baseline: `${commit} ${ms(t)}`, ratio: n / t, target: fn === 'worker' ? '≤ 1.10×' : 'no worse', data: { now: times.now, then: times.then } });
      rows.push({ section: 'before', measure: `  ${fn} bundle bytes`, value: kib(nb), baseline: `${commit} ${kib(tb)}`, ratio: nb / tb });
    }
    return rows;
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
