/**
 * `npm start -- --script FILE` as a person runs it: the real CLI in its own
 * process (tsx), against a stand-in of the swarm lab's folder (a lab.json
 * naming managers nobody answers at, and two spare nodes) in a temporary
 * directory. Only what needs no swarm is played here: the welcome, the
 * audit history across a restart, leaving; the lab version is
 * test/integration/conversation.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);

let lab: string;

/** a lab folder as `lab.sh up` leaves it, for what the runner reads of it */
function fakeLab(dir: string): void {
  for (const f of ['ca', 'cert', 'key']) writeFileSync(path.join(dir, `${f}.pem`), '-----BEGIN NOTHING-----\n');
  writeFileSync(path.join(dir, 'docker.sock'), '');
  const node = (i: number, role: string, url = `tcp://10.77.0.1${i}:2376`) => ({ name: `lab-n${i}`, url, socket: path.join(dir, 'docker.sock'), role });
  writeFileSync(
    path.join(dir, 'lab.json'),
    JSON.stringify({
      stateDir: dir,
      nodes: [node(1, 'manager', 'tcp://127.0.0.1:1'), node(4, 'spare'), node(5, 'spare')],
      tls: { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') },
      probeImage: 'probe:1',
    }),
  );
}

async function npmStart(lines: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = path.join(lab, `script-${Date.now()}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  // the SDK's warning is shown on Node < 22 unless the runner turns it off: make sure the test would see it
  const env = { ...process.env, SWARM_LAB_DIR: lab, NO_COLOR: '1', FORCE_COLOR: undefined, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
  try {
    const { stdout, stderr } = await run(tsx, ['src/cli.ts', '--script', file], { cwd: root, env, timeout: 60_000 });
    return { code: 0, out: stripVTControlCharacters(stdout), err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: stripVTControlCharacters(e.stdout ?? ''), err: e.stderr ?? '' };
  }
}

describe('npm start -- --script FILE (the lab stood in for)', () => {
  beforeEach(() => {
    lab = mkdtempSync(path.join(os.tmpdir(), 'swarm-ops-script-lab-'));
    fakeLab(lab);
  });
  afterEach(() => rmSync(lab, { recursive: true, force: true }));

  it('the audit history survives a restart of the runner: the table is kept beside the lab', { timeout: 60_000 }, async () => {
    const first = await npmStart(['# a refusal is audited at once', ':as U0STRANGER', 'status', ':quit']);
    expect(first.out).toMatch(/You need the viewer role/);
    expect(first.out).toMatch(new RegExp(`state +${lab}/state \\(the bot's table: audit history, approvals, incidents\\), kept until the lab is rebuilt`));

    const second = await npmStart(['/swarm audit']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/Audit of lab: the last 1 event/);
    expect(second.out).toMatch(/U0STRANGER +refused +status/);
    expect(second.out).not.toMatch(/No audited events/);
  });

  it('the welcome names the spare nodes\' addresses; leaving says the lab keeps running and how to stop it', { timeout: 60_000 }, async () => {
    const quit = await npmStart([':quit']);
    expect(quit.out).toMatch(/spare +lab-n4 tcp:\/\/10\.77\.0\.14:2376, lab-n5 tcp:\/\/10\.77\.0\.15:2376: started outside the swarm, to join/);
    const bye = /The swarm lab keeps running for next time .*; npm run lab -- down stops it\./;
    expect(quit.out).toMatch(bye);
    // the end of a script leaves as :quit does (Ctrl-D too: the same path in interact())
    const end = await npmStart(['help overlay']);
    expect(end.out.trimEnd()).toMatch(new RegExp(`${bye.source}$`));
  });

  it('no AWS SDK Node-version warning and no literal Slack marks (*bold*, `code`) on screen', { timeout: 60_000 }, async () => {
    const r = await npmStart(['help join', ':as U0STRANGER', 'status', ':as you', 'audit', ':nope']);
    expect(r.err).not.toMatch(/NodeVersionSupportWarning|require node/);
    expect(r.out).not.toMatch(/NodeVersionSupportWarning/);
    expect(r.out).toMatch(/\/swarm join worker/);
    // the transcript (prompts aside) has no Slack mark left
    const shown = r.out.split('\n').filter((l) => !/ in #C0\w+ › /.test(l));
    expect(shown.filter((l) => l.includes('`'))).toEqual([]);
    expect(shown.filter((l) => /\*[^*\s][^*]*\*/.test(l))).toEqual([]);
  });
});
