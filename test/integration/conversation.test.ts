/**
 * `npm start -- --script FILE` against the swarm lab, as a newcomer would run
 * it: the real CLI in its own process (tsx), the generated parameter folder,
 * dynalite, the real ingress functions and worker. The transcript is read
 * with its colours stripped, the way a person reads the terminal.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable } from './harness.js';
import { docker, LAB_DIR, labSh, readLab, resetSpares } from './lab.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);

async function npmStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; raw: string; err: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, SWARM_LAB_DIR: LAB_DIR, FORCE_COLOR: '1', ...env },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    return { code: 0, out: stripVTControlCharacters(stdout), raw: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: stripVTControlCharacters(e.stdout ?? ''), raw: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

const script = (lines: string[]) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'swarm-ops-script-')), 'conversation.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
};

describe.skipIf(labUnavailable())('the terminal conversation against the lab', () => {
  beforeAll(() => resetSpares(readLab()));
  afterAll(() => {
    resetSpares(readLab());
    for (const net of ['conv-demo', 'conv-enc']) {
      try {
        docker('lab-n1', 'network', 'rm', net);
      } catch {
        /* never created */
      }
    }
  });

  it('status, an overlay, a manager join approved by a second person, the audit channel', { timeout: 300_000 }, async () => {
    const r = await npmStart([
      '--script',
      script([
        '# a newcomer\'s first conversation',
        '/swarm status',
        '/swarm overlay create conv-demo',
        '/swarm join manager tcp://10.77.0.15:2376',
        ':click 1',
        ':as approver',
        ':click 1',
        ':audit',
        ':quit',
      ]),
    ]);
    expect(r.err).not.toMatch(/\[log error\]/);
    expect(r.code).toBe(0);
    // rendered for a terminal: coloured, and readable once the colours are gone
    expect(r.raw).toMatch(/\x1b\[3\dm┃/);
    const out = r.out;
    expect(out).toMatch(/swarm-ops, locally: a Slack channel in your terminal/);
    expect(out).toMatch(/you +@ULOCAL \(you\): viewer, operator, approver in lab, typing in #C0OPS/);

    const [status, overlay, join, own, as, approval, audit] = out.split(/\n@\w+ in #C0OPS › /).slice(1);
    expect(status).toMatch(/^\/swarm status\nonly visible to you · ⏳ Working on \/swarm status for lab… \(request \S+\)/);
    expect(status).toMatch(/┃ ✔ Swarm lab: healthy\n┃ Verdict: healthy\. 3 of 3 managers reachable; quorum 2/);
    expect(status).toMatch(/┃ MANAGER +REACHABILITY +STATUS/);
    expect(status).toMatch(/┃ lab-n1 \(leader\) +reachable +ready/);

    expect(overlay).toMatch(/┃ . Created overlay conv-demo in lab/);
    expect(docker('lab-n1', 'network', 'inspect', 'conv-demo', '--format', '{{.Driver}} {{.Attachable}}')).toBe('overlay true');

    expect(join).toMatch(/┃ ℹ Approval needed: join lab-n5 \(tcp:\/\/10\.77\.0\.15:2376\) to lab as a manager/);
    expect(join).toMatch(/After the join.*4 of 4 managers reachable; quorum 3/);
    expect(join).toMatch(/┃ \[1\] Approve {3}\[2\] Deny… ▾/);
    expect(join).toMatch(/only visible to you\n┃ ℹ Approval requested/);
    expect(join).toMatch(/1 new in #C0AUDIT \(the audit channel: :audit\)/);

    expect(own).toMatch(/^:click 1\n[\s\S]*only visible to you\n┃ ▲ Approval\n┃ You can't approve your own request; another approver must\./);
    expect(as).toMatch(/You are now @UAPPROVER \(approver\): viewer, approver in lab\./);

    expect(approval).toMatch(/swarm-ops \d\d:\d\d \(edited\)\n┃ ✔ Approved and done: lab-n5 joined lab as a manager/);
    expect(approval).toMatch(/Approved by @UAPPROVER at/);
    expect(docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}')).toMatch(/^lab-n5 Reachable$/m);

    expect(audit).toMatch(/── #C0AUDIT the audit channel · \d+ messages/);
    for (const line of [
      /┃ ✔ audit: succeeded \/swarm overlay create conv-demo/,
      /┃ ℹ audit: requested \/swarm join manager tcp:\/\/10\.77\.0\.15:2376/,
      /┃ ▲ audit: refused \/swarm join manager[\s\S]*?Who: +@ULOCAL[\s\S]*?Approval refused: You can't approve your own request/,
      /┃ ✔ audit: approved \/swarm join manager[\s\S]*?Approver: @UAPPROVER/,
      /┃ ✔ audit: succeeded \/swarm join manager[\s\S]*?lab-n5 joined lab as a manager/,
    ]) {
      expect(audit).toMatch(line);
    }
    // no join token ever reaches the screen
    expect(out).not.toMatch(/SWMTKN-/);
  });

  it('an encrypted overlay on the lab: said to carry nothing here; its check shows its phases, FAILS, and is audited as failed', { timeout: 300_000 }, async () => {
    const r = await npmStart(['--script', script(['/swarm overlay create conv-enc --encrypted', '/swarm overlay check conv-enc', ':audit'])]);
    expect(r.err).not.toMatch(/\[log error\]/);
    const [create, check, audit] = r.out.split(/\n@\w+ in #C0OPS › /).slice(1);
    expect(create).toMatch(/Created overlay conv-enc in lab/);
    expect(create).toMatch(/Encrypted overlays carry no traffic on lab: its hosts can't do IPsec \(ESP\)/);
    expect(create).not.toMatch(/Check it end to end/);
    // the phases the Slack message is edited to show, one transcript line each
    expect(check).toMatch(/⏳ Working on \/swarm overlay check: (Probe running on \d+ of \d+ nodes…|\d+ of \d+ probe tasks reported…)/);
    expect(check).toMatch(/┃ ✖ Overlay check conv-enc: FAILED/);
    expect(audit).toMatch(/audit: failed \/swarm overlay check conv-enc/);
    expect(audit).not.toMatch(/audit: succeeded \/swarm overlay check/);
    expect(r.out).toMatch(/The swarm lab keeps running for next time/);
  });

  it('Docker\'s own DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH reach the same swarm, one-shot and in a conversation', { timeout: 120_000 }, async () => {
    const env = Object.fromEntries([...labSh('env', 'lab-n1').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(env)).toEqual(['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']);
    const once = await npmStart(['status'], env);
    expect(once.code).toBe(0);
    expect(once.out).toMatch(/Answered by tcp:\/\/10\.77\.0\.11:2376/);
    const talk = await npmStart(['--script', script(['status', ':as'])], env);
    expect(talk.code).toBe(0);
    expect(talk.out).toMatch(/swarm +DOCKER_HOST=tcp:\/\/10\.77\.0\.11:2376, as cluster local/);
    expect(talk.out).toMatch(/┃ . Swarm local: /);
    const wrong = await npmStart(['status'], { ...env, DOCKER_TLS_VERIFY: '' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/DOCKER_TLS_VERIFY is not: swarm-ops talks to managers over mutual TLS only/);
  });
});
