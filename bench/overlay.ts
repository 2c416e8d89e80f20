/**
 * `overlay check` on labs of 4, 8 and 12 nodes (opt-in: `npm run bench --
 * --overlay`, minutes), against the part no check can avoid: a bare global
 * service of the same image on the same overlay, started with the docker CLI
 * until a task runs on every node, and removed. The lab is put back as
 * `lab.sh up` leaves it afterwards.
 */
import { performance } from 'node:perf_hooks';
import { runLocal } from '../src/composition/one-shot-root.js';
import { DockerSwarm } from '../src/adapters/docker/docker-swarm.js';
import type { ClusterCredentials } from '../src/ports.js';
import { MemoryState, MemoryUnlockKeys } from '../test/support/fakes.js';
import { labCreds, labSh, median, ms, readLab, waitForLabFree, type Row } from './lib.js';

export interface CheckRun {
  ok: boolean;
  wallMs: number;
  /** what the reply says the probe took */
  probeS?: number;
  title: string;
  output: string;
}

/** One `/swarm overlay check <net>` through the same path as the worker (runCommand), timed. */
export async function checkOnce(creds: ClusterCredentials, net: string): Promise<CheckRun> {
  const state = new MemoryState();
  const t = performance.now();
  const { output, ok } = await runLocal(`overlay check ${net}`, creds, state, state, new MemoryUnlockKeys());
  const probe = /ran ([\d.]+) s and has been removed/.exec(output);
  return { ok, wallMs: performance.now() - t, ...(probe ? { probeS: Number(probe[1]) } : {}), title: output.split('\n')[0]!, output };
}

/** A lab of `n` nodes, all in the swarm (3 managers at most, the rest workers), with a plain overlay `net`. */
export async function labWithOverlay(n: number, net: string, say: (s: string) => void) {
  await waitForLabFree(say);
  const managers = Math.min(3, n);
  say(`lab: ${n} nodes (${managers} managers, ${n - managers} workers)…`);
  await labSh('up', '--nodes', String(n), '--managers', String(managers), '--workers', String(n - managers));
  const lab = readLab();
  if (!lab) throw new Error('lab.sh up left no lab.json');
  const creds = labCreds(lab);
  await new DockerSwarm(creds).networks.createOverlay({ name: net, encrypted: false, attachable: true, subnet: '10.93.0.0/24' });
  return { lab, creds };
}

/** Puts the shared lab back as a plain `lab.sh up` leaves it. */
export async function restoreLab(say: (s: string) => void) {
  say('putting the lab back as `lab.sh up` leaves it…');
  await labSh('up');
}

async function bareGlobalService(n: number, net: string): Promise<number> {
  const dk = (...a: string[]) => labSh('docker', 'lab-n1', ...a);
  const t = performance.now();
  await dk('service', 'create', '--detach', '--no-resolve-image', '--name', 'bench-baseline', '--mode', 'global', '--network', net, '--endpoint-mode', 'dnsrr', '--restart-condition', 'none', '--stop-grace-period', '1s', 'swarm-ops/probe:latest', 'sleep', '600');
  for (;;) {
    const { stdout } = await dk('service', 'ps', 'bench-baseline', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}');
    if (stdout.split('\n').filter((l) => l.startsWith('Running')).length >= n) break;
    if (performance.now() - t > 120_000) throw new Error('the baseline service did not run everywhere within 2 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  await dk('service', 'rm', 'bench-baseline');
  return performance.now() - t;
}

export async function overlayTimes(say: (s: string) => void, sizes = [4, 8, 12], runs = 3): Promise<Row[]> {
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      const { creds } = await labWithOverlay(n, 'bench-net', say);
      const checks: CheckRun[] = [];
      const base: number[] = [];
      for (let i = 0; i < runs; i++) {
        say(`overlay check on ${n} nodes, run ${i + 1} of ${runs}…`);
        checks.push(await checkOnce(creds, 'bench-net'));
        base.push(await bareGlobalService(n, 'bench-net'));
      }
      const passed = checks.filter((c) => c.ok).length;
      const wall = median(checks.map((c) => c.wallMs));
      rows.push({
        section: 'overlay check',
        measure: `${n} nodes (${n * (n - 1)} pairs), median of ${runs}: ${passed} of ${runs} passed`,
        value: ms(wall),
        baseline: `bare global service up + rm (CLI) ${ms(median(base))}`,
        ratio: wall / median(base),
        ...(n === 12 ? { target: 'passes, < 30 s' } : {}),
        data: { checks: checks.map(({ output: _o, ...c }) => c), base, failures: checks.filter((c) => !c.ok).map((c) => c.output) },
      });
    }
  } finally {
    await restoreLab(say);
  }
  return rows;
}
