/**
 * The overlay check at the size that used to break it: a 12-node lab (3
 * managers, 9 workers), through the real handlers. A working plain overlay
 * passes within 30 s; with one node's data path cut (UDP 4789, VXLAN, dropped
 * in that node's network namespace) the check fails naming exactly that
 * node's 22 pairs, and nothing is "not measured".
 *
 * This file brings its own 12-node lab up and puts the suite's 5-node lab
 * back afterwards (`lab.sh up`, as the global setup leaves it).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, labSh, readLab } from './lab.js';
import { labUnavailable, startHarness, type Harness } from './harness.js';

const NODES = 12;
const CUT = 'lab-n7';

/** Drops VXLAN (UDP 4789) in and out of one node's network namespace (`cut`), or lets it through again. */
function cutDataPath(netns: string, cut: boolean) {
  const rules = [
    ['INPUT', '--dport'],
    ['OUTPUT', '--dport'],
  ];
  for (const [chain, port] of rules) {
    execFileSync('ip', ['netns', 'exec', netns, 'iptables', cut ? '-I' : '-D', chain!, '-p', 'udp', port!, '4789', '-j', 'DROP'], { stdio: 'pipe' });
  }
}

const pairsIn = (text: string) => new Set([...text.matchAll(/(lab-n\d+) → (lab-n\d+)/g)].map((m) => `${m[1]} → ${m[2]}`));
const ranSeconds = (text: string) => Number(/ran ([\d.]+) s and has been removed/.exec(text)?.[1] ?? NaN);

describe.skipIf(labUnavailable())(`overlay check on a ${NODES}-node lab`, () => {
  let h: Harness;

  beforeAll(async () => {
    labSh('up', '--nodes', String(NODES), '--managers', '3', '--workers', String(NODES - 3));
    h = await startHarness();
    const created = await h.slash('overlay create scale-net --subnet 10.94.0.0/24');
    expect(created.result?.text).toMatch(/Created overlay scale-net/);
  }, 240_000);

  afterAll(async () => {
    await h?.close();
    // the rest of the suite expects the global setup's lab
    labSh('up');
  }, 240_000);

  it('a working plain overlay passes on 12 nodes within 30 s: 132 pairs, every task saw all 12', async () => {
    const started = Date.now();
    const r = await h.slash('overlay check scale-net');
    const seconds = (Date.now() - started) / 1000;
    expect(r.result?.text).toMatch(/Overlay check scale-net: passed/);
    expect(r.resultText).toMatch(/Every node reached every other node over `scale-net` \(132 pairs\)/);
    expect(r.resultText).toMatch(/every task saw all 12 tasks/);
    console.log(`scale: overlay check on ${NODES} nodes passed in ${seconds.toFixed(1)} s (probe ${ranSeconds(r.resultText)} s)`);
    expect(seconds).toBeLessThan(30);
    expect(docker('lab-n1', 'service', 'ls', '-q')).toBe('');
  }, 120_000);

  it(`with ${CUT}'s data path cut, it fails naming exactly ${CUT}'s 22 pairs, nothing else and nothing unmeasured`, async () => {
    const netns = readLab().nodes.find((n) => n.name === CUT)!.netns;
    cutDataPath(netns, true);
    let r: Awaited<ReturnType<Harness['slash']>>;
    try {
      r = await h.slash('overlay check scale-net');
    } finally {
      cutDataPath(netns, false);
    }
    expect(r.result?.text).toMatch(/Overlay check scale-net: FAILED/);
    const others = Array.from({ length: NODES }, (_, i) => `lab-n${i + 1}`).filter((n) => n !== CUT);
    const expected = new Set([...others.map((n) => `${n} → ${CUT}`), ...others.map((n) => `${CUT} → ${n}`)]);
    expect(pairsIn(r.resultText)).toEqual(expected);
    expect(r.resultText).toMatch(/110 of 132 pairs answered, 22 failed\./);
    expect(r.resultText).toMatch(new RegExp(`Every failed pair involves \`${CUT}\``));
    expect(r.resultText).not.toMatch(/not measured \(|Not measured/);
    console.log(`scale: with ${CUT} cut off the check failed as it should, probe ${ranSeconds(r.resultText)} s`);
    expect(docker('lab-n1', 'service', 'ls', '-q')).toBe('');
  }, 180_000);
});
