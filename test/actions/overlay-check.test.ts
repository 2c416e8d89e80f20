/**
 * The overlay check at any size: why a pair was not measured, the probe's
 * shell script (run for real with stand-ins for nslookup and ping), and the
 * heatmap that replaces the text matrix above 12 nodes.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildMatrix, checkReply, overlayCheck, PROBE_SCRIPT, probeTiming, renderMatrix, TEXT_MATRIX_MAX_NODES } from '../../src/actions/overlay-check.js';
import { createWorker } from '../../src/app/worker.js';
import { parsePolicy } from '../../src/config/policy.js';
import { signJob } from '../../src/domain/job-signature.js';
import type { ServiceTask } from '../../src/ports.js';
import { renderBlockKit } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, network, worker } from '../support/fixtures.js';
import { credentials, FakeAudit, FakeChat, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies, testPolicy } from '../support/fakes.js';
import { planAndApply } from '../support/run.js';

const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: [] } }));
const ip = (i: number) => `10.0.9.${i + 2}`;
const hosts = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`);
const running = (names: string[]): ServiceTask[] => names.map((h, i) => ({ id: `t${i}`, nodeId: h, state: 'running', desiredState: 'running', addresses: [ip(i)] }));

/** What each task prints when it sees everyone; pairs in `fails` get no answer. */
function probeLogs(names: string[], fails: (from: string, to: string) => boolean = () => false, only: string[] = names): string {
  const lines: string[] = [];
  for (const from of only) {
    lines.push(`PROBE-SEEN ${from} ${names.length} ${names.length} 2`);
    names.forEach((to, j) => {
      lines.push(`PROBE ${from} ${ip(j)} ${fails(from, to) ? 'fail' : 'ok'}`);
    });
    lines.push(`PROBE-DONE ${from} ${names.length} ${names.length} 4`);
  }
  return lines.join('\n');
}

describe('overlay check: every pair that is not measured says why', () => {
  const names = hosts(4);
  const id = (h: string) => h;

  it('a target whose task never started: its column (and row) is "none", named with Docker\'s reason; nothing is FAIL', () => {
    const tasks = running(names.slice(0, 3)).concat({ id: 't3', nodeId: 'node-4', state: 'rejected', desiredState: 'shutdown', addresses: [ip(3)], error: 'No such image: probe:1' });
    // the three that ran expected four and saw three (a task that never started has no DNS entry)
    const r = buildMatrix(names, probeLogs(names.slice(0, 3)).replace(/ 3 3 /g, ' 3 4 '), tasks, id);
    expect(r.failed).toEqual([]);
    expect(renderMatrix(r).rows.map((row) => row.at(-1))).toEqual(['none', 'none', 'none', '·']);
    const text = renderPlainText(checkReply(network('app'), r));
    expect(text).toMatch(/Overlay check app: INCOMPLETE/);
    expect(text).toMatch(/6 of 12 pairs answered, 6 not measured/);
    expect(text).toMatch(/node-4: its probe task never started \(rejected: No such image: probe:1\); its 6 pairs \(both ways\) were not measured/);
    expect(text).toMatch(/node-1 saw 3 of 4 \(gave up after 2 s\)/);
    expect(text).not.toMatch(/FAILED| FAIL /);
  });

  it('a source that never saw a target in DNS: "dns", with what it saw and how long it waited ("saw 3 of 4")', () => {
    const logs = [
      ...probeLogs(names, () => false, names.slice(1)).split('\n'),
      'PROBE-SEEN node-1 3 4 45',
      `PROBE node-1 ${ip(1)} ok`,
      `PROBE node-1 ${ip(2)} ok`,
      'PROBE-DONE node-1 3 4 46',
    ].join('\n');
    const r = buildMatrix(names, logs, running(names), id);
    expect(r.pair['node-1']!['node-4']).toBe('not-in-dns');
    const text = renderPlainText(checkReply(network('app'), r));
    expect(text).toMatch(/node-1 never saw node-4 in tasks.<probe> DNS \(saw 3 of 4 in DNS after 45 s\)/);
    expect(text).toMatch(/Tasks that did not see every other task in DNS:\n {2}- node-1 saw 3 of 4 \(gave up after 45 s\)/);
    expect(text).toMatch(/INCOMPLETE/);
  });

  it('a source that did not report in time: "late", saying what it saw', () => {
    const logs = probeLogs(names, () => false, names.slice(0, 3)) + '\nPROBE-SEEN node-4 4 4 3\n' + `PROBE node-4 ${ip(0)} ok`;
    const r = buildMatrix(names, logs, running(names), id);
    expect(renderMatrix(r).rows[3]).toEqual(['node-4', 'ok', 'late', 'late', '·']);
    expect(renderPlainText(checkReply(network('app'), r))).toMatch(/node-4 did not report in time \(saw 4 of 4 in DNS\): 2 pairs from it not measured/);
  });

  it('only a ping without answer is FAIL; a working overlay passes and says every task saw everyone', () => {
    const r = buildMatrix(names, probeLogs(names), running(names), id);
    const text = renderPlainText(checkReply(network('app'), r));
    expect(text).toMatch(/Overlay check app: passed/);
    expect(text).toMatch(/DNS: every task saw all 4 tasks in tasks.<probe> \(the slowest after 2 s\) before it pinged/);
  });
});

describe('overlay check: one node cut off on 12 nodes (the text matrix\'s limit)', () => {
  const names = hosts(TEXT_MATRIX_MAX_NODES);
  const cut = 'node-7';
  const r = buildMatrix(names, probeLogs(names, (a, b) => a === cut || b === cut), running(names), (h) => h);
  const reply = checkReply(network('app'), r);
  const text = renderPlainText(reply);

  it('fails naming exactly that node\'s 22 pairs and the node they all involve', () => {
    expect(reply.title).toBe('Overlay check app: FAILED');
    expect(r.failed).toHaveLength(22);
    expect(r.failed.every(([a, b]) => a === cut || b === cut)).toBe(true);
    expect(text).toMatch(/110 of 132 pairs answered, 22 failed\./);
    expect(text).toMatch(/Every failed pair involves node-7/);
    expect(text).toMatch(/Nodes involved \(12\):\n {2}- node-7: 22 failed pairs \(11 from it, 11 to it\)\n {2}- with it only: node-1, node-2, node-3, node-4, node-5, node-6, node-8, node-9, node-10, node-11, node-12\n/);
    expect(reply.attachments).toBeUndefined();
  });

  it('fits one Slack message, matrix included', () => {
    const message = renderBlockKit(reply);
    expect(JSON.stringify(message)).not.toMatch(/did not fit/);
    expect(JSON.stringify(message.blocks)).toMatch(/node-12/);
  });
});

describe('overlay check above 12 nodes: a heatmap', () => {
  const names = hosts(40);
  const cut = 'node-33';
  const r = buildMatrix(names, probeLogs(names, (a, b) => a === cut || b === cut), running(names), (h) => h);
  const reply = checkReply(network('app'), r);

  it('attaches a PNG of the matrix instead of the text table, and lists the failing pairs and nodes as text', () => {
    expect(reply.parts.some((p) => p.kind === 'table')).toBe(false);
    expect(reply.attachments).toHaveLength(1);
    const png = Buffer.from(reply.attachments![0]!.bytes);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(reply.attachments![0]!.filename).toBe('overlay-check-app.png');
    const text = renderPlainText(reply);
    expect(text).toMatch(/The 40×40 matrix is in the picture overlay-check-app.png/);
    expect(text).toMatch(/Every failed pair involves node-33/);
    expect(text).toMatch(/Failed pairs \(78\):\n {2}- node-1 → node-33/);
  });

  it('stays inside one Slack message; on 150 nodes too, saying how many failed pairs were left out', () => {
    const message = renderBlockKit(reply);
    expect(JSON.stringify(message)).not.toMatch(/did not fit|…and/);
    const big = hosts(150);
    const bigReply = checkReply(network('app'), buildMatrix(big, probeLogs(big, (a, b) => a === 'node-9' || b === 'node-9'), running(big), (h) => h));
    const bigMessage = renderBlockKit(bigReply);
    expect(bigMessage.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(bigMessage.blocks).length).toBeLessThan(11_500);
    expect(JSON.stringify(bigMessage)).toMatch(/Failed pairs \(298\)\*[^"]*…and \d+ more/);
    expect(JSON.stringify(bigMessage)).toMatch(/Every failed pair involves `node-9`/);
  });

  it('the worker posts the answer, then uploads the picture into the command\'s channel', async () => {
    const nodes = names.map((h, i) => (i < 3 ? manager(h, { id: h, leader: i === 0 }) : worker(h, { id: h })));
    const swarm = new FakeSwarm(nodes, { networks: [network('app')] });
    swarm.tasks = running(names);
    swarm.logs = probeLogs(names, (a, b) => a === cut || b === cut);
    const chat = new FakeChat();
    const state = new MemoryState();
    const run = createWorker({
      ledger: new MemoryLedger(),
      claims: state,
      unlockKeys: new MemoryUnlockKeys(),
      pending: state,
      history: state,
      policies: policies(testPolicy()),
      credentials: credentials(),
      swarmFor: () => swarm,
      chat,
      audit: new FakeAudit(),
      log: new MemoryLog(),
      clock: { now: () => new Date() },
      signingSecret: async () => 'secret',
    });
    const now = new Date().toISOString();
    await run(signJob({ kind: 'command', requestId: 'req-big', text: 'overlay check app', command: 'overlay', cluster: 'prod', user: 'U0OPS', channel: 'C0OPS', responseUrl: 'https://hooks.slack.test/r', issuedAt: now }, 'secret'));
    expect(chat.responses.at(-1)!.message.text).toMatch(/Overlay check app: FAILED/);
    expect(chat.uploads).toHaveLength(1);
    expect(chat.uploads[0]).toMatchObject({ channel: 'C0OPS', file: { filename: 'overlay-check-app.png', title: 'Overlay check app: 1482 of 1560 pairs answered' } });
    expect(swarm.removed).toEqual(['svc1']);
  });
});

describe('overlay check timing grows with the swarm', () => {
  it('gives every task longer to see the others on a bigger swarm, and tells the tasks', async () => {
    expect(probeTiming(12).seeMs).toBeGreaterThan(probeTiming(4).seeMs);
    expect(probeTiming(100).startMs).toBeGreaterThan(probeTiming(12).startMs);
    // a task that started first still waits for the last one to start
    for (const n of [1, 12, 500]) expect(probeTiming(n).seeMs).toBeGreaterThan(probeTiming(n).startMs);
    // a pair gets longer to answer on a bigger swarm (its address reaches the others by gossip): 16 s on 12 nodes
    expect(probeTiming(12).pingMs).toBe(16_000);
    expect(probeTiming(100).pingMs).toBeGreaterThan(probeTiming(12).pingMs);
    const s = new FakeSwarm([manager('m1', { leader: true, id: 'n1' })], { networks: [network('app')] });
    await planAndApply(overlayCheck({ startMs: 20, reportMs: 20, pollMs: 5 }), s, { name: 'app' }, { policy });
    expect(s.probeServices[0]!.env).toEqual(expect.arrayContaining(['PROBE_EXPECT=1', `PROBE_SEE_S=${probeTiming(1).seeMs / 1000}`, 'PROBE_PING_S=11']));
  });
});

// ---- the probe's shell script, run for real ----------------------------------

const sh = promisify(execFile);

/**
 * Runs PROBE_SCRIPT under a POSIX shell with stand-ins on PATH: `nslookup`
 * answers as Docker's DNS does with more tasks than fit 512 bytes: two of
 * the `visible` addresses each time, a different two each time; `ping`
 * answers for every address but those in `dead`; `sleep 900` (the task's
 * final wait) returns at once.
 */
async function runScript(o: { shell: string[]; expect: number; visible: number; dead?: string[]; seeS?: number; pingS?: number }) {
  const bin = mkdtempSync(path.join(tmpdir(), 'probe-script-'));
  const tool = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  tool(
    'nslookup',
    `c=$(cat "${bin}/calls" 2>/dev/null || echo 0); echo $((c+1)) > "${bin}/calls"
printf 'Server:\\t\\t127.0.0.11\\nAddress:\\t127.0.0.11:53\\n\\nNon-authoritative answer:\\n'
for k in 0 1; do printf 'Name:\\ttasks.svc\\nAddress: 10.0.9.%s\\n' $(( (c + k) % ${o.visible} + 2 )); done`,
  );
  tool('ping', `for a; do ip=$a; done\ncase " ${(o.dead ?? []).join(' ')} " in *" $ip "*) /bin/sleep 0.2; exit 1;; esac\nexit 0`);
  tool('sleep', '[ "$1" = 900 ] && exit 0\nexec /bin/sleep "$@"');
  const started = Date.now();
  const { stdout } = await sh(o.shell[0]!, [...o.shell.slice(1), '-c', PROBE_SCRIPT], {
    env: { PATH: `${bin}:${process.env.PATH}`, PROBE_NODE: 'lab-n1', PROBE_SERVICE: 'svc', PROBE_EXPECT: String(o.expect), PROBE_SEE_S: String(o.seeS ?? 10), PROBE_PING_S: String(o.pingS ?? 2) },
    timeout: 30_000,
  });
  return { lines: stdout.trim().split('\n'), ms: Date.now() - started };
}

// the host's sh, with stand-ins on PATH (busybox's own sh would run its built-in applets instead; the lab runs it for real)
const shell = ['sh'];

describe('the probe script', () => {
  it('adds up DNS answers that list a few tasks each (as Docker\'s 512-byte answers do) until it saw every task, then pings each; only the one that does not answer is fail', async () => {
    const { lines } = await runScript({ shell, expect: 4, visible: 4, dead: ['10.0.9.5'] });
    expect(lines[0]).toMatch(/^PROBE-SEEN lab-n1 4 4 \d+$/);
    expect(lines.slice(1, 5).sort()).toEqual(['PROBE lab-n1 10.0.9.2 ok', 'PROBE lab-n1 10.0.9.3 ok', 'PROBE lab-n1 10.0.9.4 ok', 'PROBE lab-n1 10.0.9.5 fail']);
    expect(lines[5]).toMatch(/^PROBE-DONE lab-n1 4 4 \d+$/);
  });

  it('gives up waiting after PROBE_SEE_S and says it saw 2 of 4; pings only those', async () => {
    const { lines, ms } = await runScript({ shell, expect: 4, visible: 2, seeS: 2 });
    expect(lines[0]).toMatch(/^PROBE-SEEN lab-n1 2 4 [23]$/);
    expect(lines.filter((l) => l.startsWith('PROBE '))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^PROBE-DONE lab-n1 2 4/);
    expect(ms).toBeLessThan(8000);
  });

  it('pings in parallel: dead peers cost PROBE_PING_S once, not once each', async () => {
    const { lines, ms } = await runScript({ shell, expect: 6, visible: 6, dead: ['10.0.9.3', '10.0.9.4', '10.0.9.5', '10.0.9.6'], pingS: 2 });
    expect(lines.filter((l) => l.endsWith(' fail'))).toHaveLength(4);
    expect(ms).toBeLessThan(6000);
  });
});

describe('the heatmap PNG', () => {
  it('is a valid palette PNG whose cells carry the pair results', () => {
    const names = hosts(14);
    const r = buildMatrix(names, probeLogs(names, (a) => a === 'node-2'), running(names), (h) => h);
    const png = Buffer.from(checkReply(network('app'), r).attachments![0]!.bytes);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    let at = 8;
    const idat: Buffer[] = [];
    const palette: number[][] = [];
    while (at < png.length) {
      const len = png.readUInt32BE(at);
      const type = png.toString('latin1', at + 4, at + 8);
      if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
      if (type === 'PLTE') for (let i = 0; i < len; i += 3) palette.push([...png.subarray(at + 8 + i, at + 11 + i)]);
      at += 12 + len;
    }
    const raw = inflateSync(Buffer.concat(idat));
    expect(raw.length).toBe((width + 1) * height);
    const colours = new Set<number>();
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) colours.add(raw[y * (width + 1) + 1 + x]!);
    // ok (green), fail (red), self, background and ink are all in the picture
    expect([...colours].map((c) => palette[c]!.map((v) => v.toString(16).padStart(2, '0')).join('')).sort()).toEqual(
      expect.arrayContaining(['2eb67d', 'e01e5a', 'dddddd', 'ffffff', '1d1c1d']),
    );
  });
});
