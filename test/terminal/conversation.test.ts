/**
 * The terminal conversation over a fake swarm: the real ingress functions,
 * the real worker with signed jobs, the table on dynalite, the parameters
 * from a generated folder. Only the swarm is a fake (the lab version is
 * test/integration/conversation.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalBot, type LocalBot } from '../../src/composition/terminal-root.js';
import { Conversation, type Screen } from '../../src/terminal/conversation.js';
import { conversationArgs } from '../../src/terminal/main.js';
import { writeDefaultFolder } from '../../src/adapters/local/parameter-folder.js';
import { FakeSwarm, manager, worker } from '../support/fixtures.js';
import { MemoryLog } from '../support/fakes.js';

const creds = { endpoints: ['tcp://10.0.0.1:2376'], ca: 'CA PEM\n', cert: 'CERT PEM\n', key: 'KEY PEM\n' };

class RecordingScreen implements Screen {
  out = '';
  phases: string[] = [];
  answers: string[] = [];
  print(text: string) {
    this.out += text;
  }
  progress(text: string | undefined) {
    if (text !== undefined) this.phases.push(text);
  }
}

describe('the terminal conversation', () => {
  let dir: string;
  let swarm: FakeSwarm;
  let screen: RecordingScreen;
  let conversation: Conversation;
  let bot: LocalBot;
  const log = new MemoryLog();

  /** plays lines as a script would, and returns what they printed */
  async function say(...lines: string[]): Promise<string> {
    const from = screen.out.length;
    for (const line of lines) await conversation.handle(line);
    return screen.out.slice(from);
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'swarm-ops-conversation-'));
    writeDefaultFolder(dir, { cluster: 'lab', creds, probeImage: 'probe:1' });
    swarm = new FakeSwarm([manager('mgr-1', { leader: true }), manager('mgr-2'), manager('mgr-3'), worker('w-1')]);
    screen = new RecordingScreen();
    conversation = new Conversation(screen, false);
    bot = await startLocalBot({ folder: dir, log, swarmFor: () => swarm, onChat: (e) => conversation.onChat(e) });
    await conversation.attach(bot);
  });
  afterEach(async () => {
    await bot.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a folder in setup\'s layout: a policy of two people, the cluster\'s files, a private key kept private', () => {
    const policy = JSON.parse(readFileSync(path.join(dir, 'policy.json'), 'utf8'));
    expect(policy.roles).toEqual({ viewer: [], operator: ['ULOCAL'], approver: ['ULOCAL', 'UAPPROVER'] });
    expect(policy.clusters.lab).toMatchObject({ allowChannels: ['C0OPS'], watch: { channel: 'C0ALERTS' } });
    expect(readFileSync(path.join(dir, 'clusters/lab/endpoints'), 'utf8')).toBe('tcp://10.0.0.1:2376\n');
    expect(statSync(path.join(dir, 'clusters/lab/key.pem')).mode & 0o077).toBe(0);
    // an edited policy stays when the folder is written again; the cluster's files follow the swarm
    writeFileSync(path.join(dir, 'policy.json'), '{"edited": true}');
    writeDefaultFolder(dir, { cluster: 'lab', creds: { ...creds, endpoints: ['tcp://10.0.0.2:2376'] }, probeImage: 'probe:1' });
    expect(readFileSync(path.join(dir, 'policy.json'), 'utf8')).toBe('{"edited": true}');
    expect(readFileSync(path.join(dir, 'clusters/lab/endpoints'), 'utf8')).toBe('tcp://10.0.0.2:2376\n');
  });

  it('a request, the requester\'s own approval refused, a second person\'s approval, the audit channel', async () => {
    const status = await say('/swarm status');
    expect(status).toMatch(/only visible to you · ⏳ Working on \/swarm status for lab…/);
    expect(status).toMatch(/┃ \[ok\] Swarm lab: healthy/);
    expect(status).toMatch(/MANAGER +REACHABILITY/);

    const request = await say('promote w-1');
    expect(request).toMatch(/┃ \[info\] Approval needed: promote w-1/);
    expect(request).toMatch(/\[1\] Approve {3}\[2\] Deny… ▾/);
    expect(request).toMatch(/only visible to you[\s\S]*Approval requested/);
    expect(swarm.changes).toEqual([]);

    const own = await say(':click 1');
    expect(own).toMatch(/You can't approve your own request; another approver must/);
    expect(swarm.changes).toEqual([]);

    expect(await say(':as approver')).toMatch(/You are now @UAPPROVER \(approver\): viewer, approver in lab/);
    const approved = await say('1');
    expect(approved).toMatch(/\(edited\)\n┃ \[ok\] Approved and done: /);
    expect(approved).toMatch(/Approved by @UAPPROVER at/);
    expect(approved).not.toMatch(/\[1\] Approve/);
    expect(swarm.changes).toEqual([expect.stringMatching(/^update w1id.*"role":"manager"/)]);
    expect(approved).toMatch(/new in #C0AUDIT \(the audit channel: :audit\)/);

    // the button is gone with the message's old version
    expect(await say(':click 1')).toMatch(/Choice 1 \(Approve\) is gone/);

    const audit = await say(':audit');
    expect(audit).toMatch(/── #C0AUDIT the audit channel · 4 messages ──/);
    expect(audit).toMatch(/audit: requested \/swarm promote w-1/);
    expect(audit).toMatch(/audit: refused \/swarm promote w-1[\s\S]*Who: +@ULOCAL[\s\S]*can't approve your own request/);
    expect(audit).toMatch(/audit: approved \/swarm promote w-1/);
    expect(audit).toMatch(/audit: succeeded \/swarm promote w-1[\s\S]*Approver: +@UAPPROVER/);
  });

  it('a Deny menu takes its reason by number; a menu without one says how to pick', async () => {
    await say('promote w-1', ':as approver');
    expect(await say(':click 2')).toMatch(/Choice 2 is a menu \(Deny…\): type :click 2 N with N one of 1\. /);
    const denied = await say(':click 2 1');
    expect(denied).toMatch(/┃ \[warn\] Denied/);
    expect(denied).toMatch(/Denied by @UAPPROVER at .*Nothing was changed/);
    expect(swarm.changes).toEqual([]);
    expect(conversation.problems).toBe(1);
  });

  it('switching people, other channels, and what is not there', async () => {
    expect(await say(':as')).toMatch(/People here: @ULOCAL \(you\): viewer, operator, approver in lab; @UAPPROVER \(approver\): viewer, approver in lab/);
    expect(await say(':as nobody')).toMatch(/nobody is neither you nor approver nor a Slack user ID/);
    expect(await say(':as U0STRANGER', 'status')).toMatch(/You need the \*?viewer\*? role/);
    await say(':as you', ':channel C0ELSEWHERE');
    expect(await say('status')).toMatch(/Commands for lab are accepted only in #C0OPS/);
    expect(await say(':click 9')).toMatch(/There is no choice 9/);
    expect(await say(':frobnicate')).toMatch(/There is no :frobnicate here/);
    expect(await say('/deploy now')).toMatch(/Only \/swarm is installed here/);
    expect(await say(':quit').then(() => conversation.handle(':quit'))).toBe(false);
  });

  it('a long action shows its phases as progress, and its result replaces the progress message', async () => {
    const out = await say('overlay create web');
    expect(screen.phases[0]).toBe('Working on /swarm overlay create…');
    expect(out).toMatch(/┃ \[ok\] /);
    expect(out).not.toMatch(/\(edited\)/);
  });

  it(':watch runs one watch pass and shows the alert channel', async () => {
    const out = await say(':watch');
    expect(out).toMatch(/── #C0ALERTS watch channel of lab/);
    expect(out).toMatch(/watch pass over lab: checked/);
  });

  it('npm start: no command, --script FILE, --from DIR or --verbose is the conversation; anything else the one-shot runner', () => {
    expect(conversationArgs([])).toEqual({});
    expect(conversationArgs(['--script', 'talk.txt', '--from', 'prod-params', '--verbose'])).toEqual({ script: 'talk.txt', from: 'prod-params', verbose: true });
    expect(conversationArgs(['status'])).toBeUndefined();
    expect(conversationArgs(['--watch-once'])).toBeUndefined();
    expect(conversationArgs(['overlay', 'create', 'x', '--dry-run'])).toBeUndefined();
  });
});
