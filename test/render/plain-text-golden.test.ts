/**
 * Golden files for every message a person sees: each reply the real worker
 * (createWorker, with the fakes of test/support) hands to Slack, rendered as
 * plain text (`<name>.txt`) and as Block Kit (`<name>.blocks.json`), plus the
 * ingress's acknowledgement lines (`ingress-*.txt`: a bare `text`, no blocks).
 *
 * Refresh after a deliberate change with `npm run golden`, then read the diff.
 * Without UPDATE_GOLDEN a missing file fails; it is never written silently.
 *
 * Everything is deterministic: a fixed clock, fixed request ids, a fixed
 * signing secret (so the signed Approve button values are stable too). The
 * one exception is elapsed wall-clock time, see `normalise`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApprovalSweep } from '../../src/app/approval-sweep.js';
import { acceptCommand } from '../../src/app/ingress.js';
import { createWorker } from '../../src/app/worker.js';
import { createAudit } from '../../src/shared/audit-trail.js';
import { signJob } from '../../src/domain/job-signature.js';
import type { Reply } from '../../src/domain/reply.js';
import { SwarmError } from '../../src/errors.js';
import { renderBlockKit, type SlackMessage } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import type { InfoProbe, ServiceTask, SwarmNode } from '../../src/ports.js';
import { credentials, FakeChat, FakeQueue, MemoryLedger, MemoryLog, MemoryState, MemoryUnlockKeys, policies, testPolicy } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, service, task, manager, network, worker } from '../support/fixtures.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const SECRET = 'secret';
/** a channel with no cluster of its own: commands go to the policy's default, `prod` */
const CHANNEL = 'C0OPS';
/** testPolicy()'s audit channel */
const AUDIT_CHANNEL = 'C0AUDIT';
const MINUTE = 60_000;

// ---- golden files ------------------------------------------------------------

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const used = new Set<string>();

/**
 * Elapsed wall-clock time is the only thing that varies between runs (the
 * worker measures durations with Date.now(), not the injected clock): the
 * audit message's Duration field and the overlay probe's "ran N s" become
 * `#.# s`. Nothing else is masked.
 */
const normalise = (s: string) => s.replace(/(\*Duration\*\\n|Duration: +|\bran )\d+\.\d s\b/g, '$1#.# s');

function compareGolden(file: string, actual: string): void {
  if (used.has(file)) throw new Error(`golden file ${file} is used by two scenarios`);
  used.add(file);
  const path = new URL(file, GOLDEN_DIR);
  if (process.env['UPDATE_GOLDEN']) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`Golden file test/render/golden/${file} is missing. Run \`npm run golden\` to write it, then read it before committing.`);
  }
  expect(actual, `test/render/golden/${file} differs (after a deliberate change: npm run golden)`).toBe(readFileSync(path, 'utf8'));
}

/** Every Block Kit message checked against Slack's limits, golden or not. */
const checked: Array<{ name: string; message: SlackMessage }> = [];

function golden(name: string, r: Reply | undefined): void {
  expect(r, `no reply captured for ${name}`).toBeDefined();
  const message = renderBlockKit(r!);
  checked.push({ name, message });
  const text = renderPlainText(r!);
  expect(text, name).not.toMatch(SECRETS);
  compareGolden(`${name}.txt`, normalise(text));
  compareGolden(`${name}.blocks.json`, normalise(JSON.stringify(message, null, 2) + '\n'));
}

/** The ingress's acknowledgement is a bare `text` (the HTTP response to the slash command): no blocks. */
function goldenText(name: string, text: string): void {
  expect(text, name).not.toMatch(SECRETS);
  compareGolden(`${name}.txt`, text.endsWith('\n') ? text : `${text}\n`);
}

const SECRETS = /SWMTKN-|SWMKEY-|-----BEGIN/;

// ---- the world: the real worker, audit and sweep over fakes of our ports ----

const allChats: FakeChat[] = [];

const zoned = (hostname: string, az: string, over: Parameters<typeof manager>[1] = {}) => manager(hostname, { labels: { az }, ...over });

/** Three managers across zones, three workers: the healthy default. */
function prodNodes(): SwarmNode[] {
  return [
    zoned('mgr-1', 'eu-west-1a', { leader: true }),
    zoned('mgr-2', 'eu-west-1b'),
    zoned('mgr-3', 'eu-west-1c'),
    worker('wrk-1'),
    worker('wrk-2'),
    worker('wrk-3'),
  ];
}

const INFO = daemonInfo({ caExpiresAt: new Date('2036-01-01T00:00:00Z'), apiCertExpiresAt: new Date('2027-06-01T00:00:00Z') });
const prodSwarm = (nodes = prodNodes()) => new FakeSwarm(nodes, { info: INFO });

const JOIN_WORKER_URL = 'tcp://10.0.1.25:2376';
const JOIN_MANAGER_URL = 'tcp://10.0.0.4:2376';

/** Daemons that answer over TLS and are in no swarm yet: join targets. */
function withSpareDaemons(swarm: FakeSwarm): FakeSwarm {
  swarm.daemons.set(JOIN_WORKER_URL, daemonInfo({ endpoint: JOIN_WORKER_URL, name: 'wrk-25', nodeId: '', engineId: 'ENGINE:WRK25', localState: 'inactive', managers: 0, nodes: 0 }));
  swarm.daemons.set(JOIN_MANAGER_URL, daemonInfo({ endpoint: JOIN_MANAGER_URL, name: 'mgr-4', nodeId: '', engineId: 'ENGINE:MGR4', localState: 'inactive', managers: 0, nodes: 0 }));
  return swarm;
}

function world(swarm: FakeSwarm = withSpareDaemons(prodSwarm())) {
  const chat = new FakeChat();
  allChats.push(chat);
  const log = new MemoryLog();
  const state = new MemoryState();
  let now = NOW;
  const clock = { now: () => now };
  const deps = {
    policies: policies(testPolicy()),
    credentials: credentials(),
    swarmFor: () => swarm,
    chat,
    // the real audit: one log line, the history table, a message in the audit channel
    audit: createAudit({ chat, log, history: state }),
    log,
    clock,
    claims: state,
    unlockKeys: new MemoryUnlockKeys(),
    pending: state,
    history: state,
  };
  const worker = createWorker({ ...deps, ledger: new MemoryLedger(), signingSecret: async () => SECRET, botToken: async () => 'xoxb-golden-bot-token' });
  const sweeper = createApprovalSweep(deps);
  let clicks = 0;
  // what was delivered before the latest job: the `last…` getters see only what that job delivered,
  // so a job that was dropped silently can't pass off an earlier message as its own
  let mark = { responses: 0, posts: 0, updates: 0 };
  const since = <T>(list: T[], n: number): T[] => list.slice(n);
  async function act<R>(job: () => Promise<R>): Promise<R> {
    mark = { responses: chat.responses.length, posts: chat.posts.length, updates: chat.updates.length };
    return job();
  }
  const run = (payload: unknown) => act(() => worker(payload));
  const sweep = () => act(sweeper);

  const w = {
    swarm,
    chat,
    state,
    sweep,
    /** moves the clock to NOW + ms */
    at: (ms: number) => (now = new Date(NOW.getTime() + ms)),
    /** a `/swarm` command as the ingress signs it */
    command: (text: string, user = 'U0OPS', requestId = 'req-golden') =>
      run(
        signJob(
          { kind: 'command', requestId, text, command: text.split(' ')[0] || 'help', cluster: 'prod', user, channel: CHANNEL, responseUrl: 'https://hooks.slack.com/commands/T0/1/r', issuedAt: now.toISOString() },
          SECRET,
        ),
      ),
    /** an Approve click or a Deny choice on the approval message */
    click: (value: string, user: string, decision: 'approve' | 'deny' = 'approve', reason?: string) =>
      run(
        signJob(
          {
            kind: 'decision',
            requestId: `click-${++clicks}`,
            decision,
            value,
            user,
            channel: CHANNEL,
            messageTs: w.approvalMessage()?.ts ?? '1.0001',
            responseUrl: 'https://hooks.slack.com/actions/T0/2/r',
            issuedAt: now.toISOString(),
            ...(reason ? { reason } : {}),
          },
          SECRET,
        ),
      ),
    /** the last reply the latest job sent: to the response URL, or in place of its progress message */
    lastResponse: (): Reply | undefined =>
      since(chat.responses, mark.responses).at(-1)?.reply ?? since(chat.updates, mark.updates).filter((u) => u.channel === CHANNEL).at(-1)?.reply,
    /** the last message the bot posted in the command's channel (the approval request) */
    approvalMessage: () => {
      const i = chat.posts.map((p) => p.channel).lastIndexOf(CHANNEL);
      return i < 0 ? undefined : { reply: chat.posts[i]!.reply, ts: `${i + 1}.0001` };
    },
    /** the signed value of the approval message's Approve button */
    approveValue: (): string => {
      const buttons = w.approvalMessage()?.reply.parts.find((p) => p.kind === 'buttons');
      if (buttons?.kind !== 'buttons') throw new Error('no approval message with buttons');
      return buttons.buttons[0]!.value;
    },
    /** the last message the latest job replaced (chat.update) */
    lastUpdate: (): Reply | undefined => since(chat.updates, mark.updates).at(-1)?.reply,
    /** the last message the latest job posted in the audit channel with this outcome */
    auditPost: (outcome: string): Reply | undefined =>
      since(chat.posts, mark.posts).filter((p) => p.channel === AUDIT_CHANNEL && p.reply.title.startsWith(`audit: ${outcome} `)).at(-1)?.reply,
  };
  return w;
}

/** A refusal goes to the person alone and says what to do; nothing changed. */
/** a refusal of what was asked is a warning (as the ingress's ⚠); a swarm that can't be reached or answered, an error */
function expectRefusal(r: Reply | undefined, swarm?: FakeSwarm, tone: 'warn' | 'error' = 'warn'): void {
  expect(r?.visibility).toBe('ephemeral');
  expect(r?.tone).toBe(tone);
  if (swarm) expect(swarm.changes).toEqual([]);
}

// ---- the overlay probe's world ------------------------------------------------

/** One running probe task per node on the overlay, and the lines each prints (pairs in `fails` fail). */
function probeRun(swarm: FakeSwarm, fails: Array<[from: string, to: string]> = []) {
  const nodes = swarm.nodeList;
  const ip = (i: number) => `10.0.9.${i + 2}`;
  swarm.tasks = nodes.map((n, i): ServiceTask => ({ id: `task${i}`, nodeId: n.id, state: 'running', desiredState: 'running', addresses: [ip(i)] }));
  const lines: string[] = [];
  nodes.forEach((from) => {
    nodes.forEach((to, j) => {
      const failed = fails.some(([a, b]) => a === from.hostname && b === to.hostname);
      lines.push(`PROBE ${from.hostname} ${ip(j)} ${failed ? 'fail' : 'ok'}`);
    });
    lines.push(`PROBE-DONE ${from.hostname} ${nodes.length}`);
  });
  swarm.logs = lines.join('\n') + '\n';
}

const overlays = () => [
  network('ingress', { ingress: true, subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }] }),
  network('app', { encrypted: true, subnets: [{ subnet: '10.20.0.0/24', gateway: '10.20.0.1' }] }),
  network('metrics', { attachable: false, subnets: [{ subnet: '10.21.0.0/24' }] }),
  network('scratch'),
];

// ---- the scenarios ------------------------------------------------------------

describe('golden: read commands', () => {
  it('status, healthy', async () => {
    const w = world(prodSwarm());
    await w.command('status', 'U0VIEW');
    expect(w.lastResponse()?.title).toBe('Swarm prod: healthy');
    golden('status-healthy', w.lastResponse());
  });

  it('status, degraded: a manager unreachable, a worker down, engine skew', async () => {
    const nodes = prodNodes();
    nodes[1] = zoned('mgr-2', 'eu-west-1b', { reachability: 'unreachable' });
    nodes[5] = worker('wrk-3', { state: 'down', engineVersion: '24.0.7' });
    const w = world(prodSwarm(nodes));
    await w.command('status', 'U0VIEW');
    expect(w.lastResponse()?.title).toBe('Swarm prod: degraded');
    golden('status-degraded', w.lastResponse());
  });

  it('status, quorum lost: answered from each manager\'s /info', async () => {
    const probes: InfoProbe[] = [
      {
        endpoint: 'tcp://10.0.0.1:2376',
        info: daemonInfo({
          managers: 3,
          remoteManagers: [
            { nodeId: 'mgr1id', addr: '10.0.0.1:2377' },
            { nodeId: 'mgr2id', addr: '10.0.0.2:2377' },
            { nodeId: 'mgr3id', addr: '10.0.0.3:2377' },
          ],
          error: 'rpc error: code = Unknown desc = The swarm does not have a leader. It\'s possible that too few managers are online.',
        }),
      },
      { endpoint: 'tcp://10.0.0.2:2376', error: 'connect ECONNREFUSED 10.0.0.2:2376' },
      { endpoint: 'tcp://10.0.0.3:2376', error: 'timed out after 2.5 s' },
    ];
    const w = world(new FakeSwarm([], { quorumLost: true, probes }));
    await w.command('status', 'U0VIEW');
    expect(w.lastResponse()?.title).toBe('Swarm prod: quorum lost');
    golden('status-quorum-lost', w.lastResponse());
  });

  it('nodes', async () => {
    const nodes = prodNodes();
    nodes[4] = worker('wrk-2', { availability: 'drain' });
    nodes.push(worker('wrk-10', { state: 'down' }), worker('wrk-4', { engineVersion: '24.0.7' }));
    const w = world(prodSwarm(nodes));
    await w.command('nodes', 'U0VIEW');
    golden('nodes', w.lastResponse());
  });

  it('help, and help for one command', async () => {
    const w = world();
    await w.command('help', 'U0VIEW', 'req-help');
    golden('help', w.lastResponse());
    await w.command('help overlay create', 'U0VIEW', 'req-help-1');
    golden('help-overlay-create', w.lastResponse());
    await w.command('help join', 'U0VIEW', 'req-help-2');
    golden('help-join', w.lastResponse());
    expect(w.lastResponse()?.visibility).toBe('ephemeral');
  });

  it('overlay ls', async () => {
    const swarm = prodSwarm();
    swarm.opts.networks = [...overlays(), network('bridge', { driver: 'bridge', scope: 'local' })];
    swarm.usage.set('netapp0000000000', { services: ['web', 'api'], containers: 7 });
    swarm.usage.set('netingress0000000000', { services: ['web'], containers: 3 });
    const w = world(swarm);
    await w.command('overlay ls', 'U0VIEW');
    golden('overlay-ls', w.lastResponse());
  });
});

describe('golden: changes', () => {
  it('join worker', async () => {
    const w = world();
    await w.command(`join worker ${JOIN_WORKER_URL}`, 'U0OPS', 'req-join-w');
    expect(w.swarm.changes).toEqual([`join worker ${JOIN_WORKER_URL}`, 'rotate worker']);
    golden('join-worker', w.lastResponse());
    golden('audit-channel-succeeded', w.auditPost('succeeded'));
  });

  it('rotate', async () => {
    const w = world();
    await w.command('rotate both', 'U0OPS', 'req-rotate');
    expect(w.swarm.changes).toEqual(['rotate worker+manager']);
    golden('rotate-both', w.lastResponse());
  });

  it('overlay create, and its dry run', async () => {
    const swarm = prodSwarm();
    swarm.opts.networks = overlays();
    const w = world(swarm);
    await w.command('overlay create payments --encrypted --subnet 10.30.0.0/24 --gateway 10.30.0.1 --dry-run', 'U0OPS', 'req-create-dry');
    expect(swarm.changes).toEqual([]);
    golden('overlay-create-dry-run', w.lastResponse());
    golden('audit-channel-dry-run', w.auditPost('dry-run'));
    await w.command('overlay create payments --encrypted --subnet 10.30.0.0/24 --gateway 10.30.0.1', 'U0OPS', 'req-create');
    expect(swarm.changes).toEqual(['create payments']);
    golden('overlay-create', w.lastResponse());
  });

  it('overlay rm', async () => {
    const swarm = prodSwarm();
    swarm.opts.networks = overlays();
    const w = world(swarm);
    await w.command('overlay rm scratch', 'U0OPS', 'req-rm');
    expect(swarm.changes).toEqual(['rm netscratch0000000000']);
    golden('overlay-rm', w.lastResponse());
  });

  it('overlay check, passed and failed (the real worker path: the probe answers at once)', async () => {
    const swarm = prodSwarm();
    swarm.opts.networks = overlays();
    probeRun(swarm);
    const w = world(swarm);
    await w.command('overlay check app', 'U0OPS', 'req-check');
    expect(w.lastResponse()?.title).toBe('Overlay check app: passed');
    expect(swarm.removed).toEqual(['svc1']);
    golden('overlay-check-passed', w.lastResponse());

    probeRun(swarm, [['wrk-3', 'mgr-1'], ['wrk-3', 'mgr-2'], ['mgr-1', 'wrk-3']]);
    await w.command('overlay check app', 'U0OPS', 'req-check-2');
    expect(w.lastResponse()?.title).toBe('Overlay check app: FAILED');
    golden('overlay-check-failed', w.lastResponse());
  });

  it('drain a manager (Raft membership unchanged), and a change that is already in place', async () => {
    const w = world();
    await w.command('drain mgr-2', 'U0OPS', 'req-drain');
    expect(w.swarm.changes).toEqual([`update mgr2id0000000000000000 {"availability":"drain"}`]);
    golden('drain-manager', w.lastResponse());
    await w.command('activate wrk-1', 'U0OPS', 'req-activate');
    golden('noop-already-active', w.lastResponse());
  });

  it('join manager, dry run: no approval needed to look', async () => {
    const w = world();
    await w.command(`join manager ${JOIN_MANAGER_URL} --dry-run`, 'U0OPS', 'req-join-m-dry');
    expect(w.chat.posts.filter((p) => p.channel === CHANNEL)).toEqual([]);
    golden('join-manager-dry-run', w.lastResponse());
  });
});

describe('golden: the two-person rule', () => {
  it('join manager: request, refusals, approval, a second click, and /swarm audit afterwards', async () => {
    const w = world();
    await w.command(`join manager ${JOIN_MANAGER_URL}`, 'U0OPS', 'req-join-m');
    expect(w.swarm.changes).toEqual([]);
    golden('approval-request-join-manager', w.approvalMessage()?.reply);
    golden('approval-requested-ephemeral', w.lastResponse());
    golden('audit-channel-requested', w.auditPost('requested'));
    const value = w.approveValue();

    w.at(1 * MINUTE);
    await w.click(value, 'U0OPS');
    expect(w.lastResponse()?.visibility).toBe('ephemeral');
    golden('refusal-own-approval', w.lastResponse());
    golden('audit-channel-refused', w.auditPost('refused'));

    w.at(2 * MINUTE);
    await w.click(value, 'U0VIEW');
    golden('refusal-non-approver', w.lastResponse());

    w.at(3 * MINUTE);
    // the same signature over an edited request: another target
    const [body, mac] = value.split('.') as [string, string];
    const edited = { ...JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), text: 'join manager tcp://10.6.6.6:2376' };
    await w.click(`${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${mac}`, 'U0APPROVE');
    expect(w.lastResponse()?.tone).toBe('error');
    golden('refusal-forged-button', w.lastResponse());
    golden('audit-channel-forged', w.auditPost('refused'));
    expect(w.swarm.changes).toEqual([]);

    w.at(4 * MINUTE);
    await w.click(value, 'U0APPROVE');
    expect(w.swarm.changes).toEqual([`join manager ${JOIN_MANAGER_URL}`, 'rotate manager']);
    expect(w.lastUpdate()?.title).toMatch(/^Approved and done: /);
    golden('decision-approved-done', w.lastUpdate());
    golden('audit-channel-approved', w.auditPost('approved'));
    golden('audit-channel-succeeded-approved', w.auditPost('succeeded'));

    w.at(5 * MINUTE);
    await w.click(value, 'U0APPROVE');
    expect(w.swarm.changes).toHaveLength(2);
    golden('decision-already-decided', w.lastResponse());

    w.at(6 * MINUTE);
    await w.command('audit', 'U0VIEW', 'req-audit');
    golden('audit-command', w.lastResponse());
    await w.command('audit --user @U0NOBODY --since 7d', 'U0VIEW', 'req-audit-2');
    golden('audit-command-empty', w.lastResponse());
  });

  it('a URL as Slack sends it (`<tcp://…>`): what the request, the requester and the audit channel echo', async () => {
    const w = world();
    await w.command(`join manager <${JOIN_MANAGER_URL}>`, 'U0OPS', 'req-join-link');
    expect(w.swarm.changes).toEqual([]);
    golden('echo-slack-link-approval-requested', w.lastResponse());
    golden('echo-slack-link-audit-channel', w.auditPost('requested'));
  });

  it('promote: the request', async () => {
    const w = world();
    await w.command('promote wrk-1', 'U0OPS', 'req-promote');
    golden('approval-request-promote', w.approvalMessage()?.reply);
  });

  it('demote: the request, then approved but refused because a manager went away since', async () => {
    const nodes = [...prodNodes(), zoned('mgr-4', 'eu-west-1a'), zoned('mgr-5', 'eu-west-1b')];
    const w = world(prodSwarm(nodes));
    await w.command('demote mgr-5', 'U0OPS', 'req-demote');
    golden('approval-request-demote', w.approvalMessage()?.reply);

    // two more managers stop answering before the approver clicks: demoting now would lose quorum
    w.swarm.nodeList[1] = zoned('mgr-2', 'eu-west-1b', { reachability: 'unreachable' });
    w.swarm.nodeList[2] = zoned('mgr-3', 'eu-west-1c', { reachability: 'unreachable' });
    w.at(2 * MINUTE);
    await w.click(w.approveValue(), 'U0APPROVE');
    expect(w.swarm.changes).toEqual([]);
    expect(w.lastUpdate()?.title).toBe('Approved, but it did not happen');
    golden('decision-approved-failed', w.lastUpdate());
  });

  it('promote approved, but the leader lost quorum with it in its Raft log: outcome unknown, never "nothing was changed"', async () => {
    const w = world();
    await w.command('promote wrk-1', 'U0OPS', 'req-promote-lost');
    w.swarm.nodes.update = async () => {
      throw new SwarmError('UNCERTAIN', 'The swarm lost its leader (tcp://10.0.0.1:2376) while the change was being committed. It may or may not happen.');
    };
    w.at(2 * MINUTE);
    await w.click(w.approveValue(), 'U0APPROVE');
    expect(w.lastUpdate()?.title).toBe('Approved, outcome unknown');
    expect(renderPlainText(w.lastUpdate()!)).not.toMatch(/Nothing was changed/i);
    expect(w.auditPost('failed')).toBeDefined();
    expect(w.auditPost('refused')).toBeUndefined();
    golden('decision-approved-outcome-unknown', w.lastUpdate());
  });

  it('join manager approved, but another daemon answers at that address now', async () => {
    const w = world();
    await w.command(`join manager ${JOIN_MANAGER_URL}`, 'U0OPS', 'req-join-m2');
    w.swarm.daemons.set(JOIN_MANAGER_URL, daemonInfo({ endpoint: JOIN_MANAGER_URL, name: 'mgr-4', nodeId: '', engineId: 'ENGINE:IMPOSTOR', apiCertFingerprint: 'cd'.repeat(32), localState: 'inactive' }));
    w.at(2 * MINUTE);
    await w.click(w.approveValue(), 'U0APPROVE');
    expect(w.swarm.changes).toEqual([]);
    golden('decision-approved-binding-changed', w.lastUpdate());
  });

  it('denied by an approver, with a reason', async () => {
    const w = world();
    await w.command(`join manager ${JOIN_MANAGER_URL}`, 'U0OPS', 'req-join-m3');
    w.at(3 * MINUTE);
    await w.click(w.approveValue(), 'U0APPROVE', 'deny', 'quorum-risk');
    golden('decision-denied', w.lastUpdate());
    golden('audit-channel-denied', w.auditPost('denied'));
  });

  it('withdrawn by the requester', async () => {
    const w = world();
    await w.command('promote wrk-1', 'U0OPS', 'req-promote-2');
    w.at(1 * MINUTE);
    await w.click(w.approveValue(), 'U0OPS', 'deny', 'withdrawn');
    golden('decision-withdrawn', w.lastUpdate());
  });

  it('expiry: a click after it, and the sweep for a request nobody answered', async () => {
    const clicked = world();
    await clicked.command(`join manager ${JOIN_MANAGER_URL}`, 'U0OPS', 'req-join-m4');
    clicked.at(16 * MINUTE);
    await clicked.click(clicked.approveValue(), 'U0APPROVE');
    expect(clicked.swarm.changes).toEqual([]);
    golden('decision-expired-click', clicked.lastResponse());
    golden('decision-expired-message', clicked.lastUpdate());

    const unanswered = world();
    await unanswered.command('promote wrk-1', 'U0OPS', 'req-promote-3');
    unanswered.at(20 * MINUTE);
    expect(await unanswered.sweep()).toEqual({ expired: ['req-promote-3'], legacyRemoved: 0 });
    golden('sweep-expired', unanswered.lastUpdate());
    golden('audit-channel-expired', unanswered.auditPost('expired'));
  });
});

describe('golden: services and stacks', () => {
  /** a shop: web healthy on 3 workers, api mid-update, worker crash-looping, one global agent */
  function shopSwarm(): FakeSwarm {
    const swarm = prodSwarm();
    const [m1, , , w1, w2, w3] = swarm.nodeList.map((n) => n.id);
    const web = service('shop_web', { replicas: 3, running: 3, desired: 3, stack: 'shop', image: 'registry.example/shop/web:1.4.1', ports: [{ published: 443, target: 8443, protocol: 'tcp', mode: 'ingress' }], previous: { image: 'registry.example/shop/web:1.4.0', replicas: 3, fingerprint: 'old' } });
    const api = service('shop_api', { replicas: 2, running: 1, desired: 2, stack: 'shop', image: 'registry.example/shop/api:2.0.0', update: { state: 'updating', message: 'update in progress' }, secrets: ['api_db_password'], envNames: ['DB_HOST', 'LOG_LEVEL'], constraints: ['node.role==worker'] });
    const jobs = service('jobs', { replicas: 1, running: 0, desired: 1, image: 'registry.example/jobs:7' });
    const agent = service('node-agent', { mode: 'global', running: 6, desired: 6, image: 'registry.example/agent:3' });
    swarm.serviceList = [web, api, jobs, agent];
    const at = (min: number) => new Date(NOW.getTime() - min * MINUTE);
    swarm.serviceTasks = [
      task(web, 1, w1!, { at: at(120) }),
      task(web, 2, w2!, { at: at(120) }),
      task(web, 3, w3!, { at: at(120) }),
      task(api, 1, w1!, { at: at(3) }),
      task(api, 2, w2!, { state: 'pending', error: 'no suitable node (insufficient resources on 3 nodes)', at: at(1) }),
      ...[2, 4, 6].map((m, i) => task(jobs, 1, w3!, { id: `jobsfail${i}`.padEnd(25, '0'), state: 'failed', desiredState: 'shutdown', error: 'task: non-zero exit (137)', exitCode: 137, at: at(m) })),
      task(jobs, 1, w3!, { id: 'jobsnow'.padEnd(25, '0'), state: 'starting', at: at(0) }),
      ...swarm.nodeList.map((n) => task(agent, undefined, n.id, { at: at(600) })),
    ];
    void m1;
    return swarm;
  }

  it('services, service <name> (a crash loop), stacks and stack <name>', async () => {
    const w = world(shopSwarm());
    await w.command('services', 'U0VIEW', 'req-svc-1');
    golden('services', w.lastResponse());
    await w.command('service jobs', 'U0VIEW', 'req-svc-2');
    expect(w.lastResponse()?.title).toBe('Service jobs on prod: crash loop');
    golden('service-crash-loop', w.lastResponse());
    await w.command('service shop_api', 'U0VIEW', 'req-svc-3');
    golden('service-updating', w.lastResponse());
    await w.command('stacks', 'U0VIEW', 'req-svc-4');
    golden('stacks', w.lastResponse());
    await w.command('stack shop', 'U0VIEW', 'req-svc-5');
    golden('stack', w.lastResponse());
  });

  it('service logs: in time order across tasks, redacted; a long answer attached', async () => {
    const swarm = shopSwarm();
    const web = swarm.serviceList[0]!;
    const [, , , w1, w2] = swarm.nodeList.map((n) => n.id);
    const [t1, t2] = swarm.serviceTasks.filter((t) => t.serviceId === web.id);
    const line = (sec: number, task: typeof t1, node: string, text: string) => ({ at: `2026-12-03T09:59:${String(sec).padStart(2, '0')}.000000000Z`, taskId: task!.id, nodeId: node, stream: 'stdout' as const, text });
    swarm.serviceLogs.set(web.id, {
      lines: [line(3, t2, w2!, 'GET /health 200'), line(1, t1, w1!, 'listening on :8443'), line(2, t1, w1!, 'bot token xoxb-1234-5678-abcdefABCDEF leaked'), line(4, t1, w1!, 'AKIAABCDEFGHIJKLMNOP in a config dump')],
      errors: [],
    });
    const w = world(swarm);
    await w.command('service logs shop_web', 'U0OPS', 'req-svc-6');
    golden('service-logs', w.lastResponse());
    swarm.serviceLogs.set(web.id, { lines: Array.from({ length: 120 }, (_, i) => line(i % 60, i % 2 ? t1 : t2, i % 2 ? w1! : w2!, `request ${i} served in ${i % 7} ms`)), errors: [] });
    await w.command('service logs shop_web --tail 100', 'U0OPS', 'req-svc-7');
    expect(w.lastResponse()?.attachments?.[0]?.filename).toBe('shop_web-logs.txt');
    golden('service-logs-attached', w.lastResponse());
  });

  it('update: converged, and paused with the failing task', async () => {
    const swarm = shopSwarm();
    const web = swarm.serviceList[0]!;
    const w = world(swarm);
    const update = swarm.services.update;
    swarm.services.update = async (id, change) => {
      const r = await update(id, change);
      const now = swarm.serviceList.find((x) => x.id === id)!;
      swarm.serviceTasks = swarm.serviceTasks.filter((t) => t.serviceId !== id).concat(Array.from({ length: now.replicas ?? 1 }, (_, i) => task(now, i + 1, swarm.nodeList[3 + i]!.id)));
      return r;
    };
    await w.command('service update shop_web --image registry.example/shop/web:1.4.2 --dry-run', 'U0OPS', 'req-svc-8');
    golden('service-update-dry-run', w.lastResponse());
    await w.command('service update shop_web --image registry.example/shop/web:1.4.2', 'U0OPS', 'req-svc-9');
    expect(w.lastResponse()?.title).toBe('Update done');
    golden('service-update-converged', w.lastResponse());
    swarm.services.update = async () => {
      const now = swarm.serviceList.find((x) => x.id === web.id)!;
      Object.assign(now, { image: 'registry.example/shop/web:9.9', update: { state: 'paused', message: 'update paused due to failure or early termination of task taskbad' } });
      swarm.serviceTasks.push(task(now, 1, swarm.nodeList[4]!.id, { id: 'taskbad'.padEnd(25, '0'), state: 'rejected', error: 'No such image: registry.example/shop/web:9.9', image: 'registry.example/shop/web:9.9' }));
      return { warnings: [] };
    };
    await w.command('service update shop_web --image registry.example/shop/web:9.9', 'U0OPS', 'req-svc-10');
    expect(w.lastResponse()?.title).toBe('Update paused');
    golden('service-update-paused', w.lastResponse());
  });

  it('scale a global service, drain with no other node for a service: refusals that change nothing', async () => {
    const swarm = shopSwarm();
    const w = world(swarm);
    await w.command('service scale node-agent=3', 'U0OPS', 'req-svc-11');
    expectRefusal(w.lastResponse(), swarm);
    golden('refusal-scale-global', w.lastResponse());
    swarm.serviceList[1]!.constraints = [`node.hostname==wrk-1`];
    await w.command('drain wrk-1', 'U0OPS', 'req-svc-12');
    expectRefusal(w.lastResponse(), swarm);
    golden('refusal-drain-stranded', w.lastResponse());
  });
});

describe('golden: refusals', () => {
  const cases: Array<{ name: string; text: string; user?: string; swarm?: () => FakeSwarm }> = [
    { name: 'refusal-unknown-command', text: 'stauts' },
    { name: 'refusal-unknown-subcommand', text: 'overlay craete web' },
    { name: 'refusal-usage-bad-url', text: 'join worker 10.0.1.25:2376' },
    { name: 'refusal-usage-missing-arg', text: 'drain' },
    { name: 'refusal-usage-unknown-flag', text: 'overlay create web --encrypt' },
    { name: 'refusal-usage-bad-choice', text: 'rotate wrker' },
    { name: 'refusal-usage-gateway-without-subnet', text: 'overlay create web --gateway 10.30.0.1' },
    { name: 'refusal-token-in-command', text: 'join worker tcp://10.0.1.25:2376 SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx' },
    { name: 'refusal-permission', text: 'rotate worker', user: 'U0VIEW' },
    { name: 'refusal-no-role', text: 'status', user: 'U0STRANGER' },
    { name: 'refusal-unknown-cluster', text: 'status --cluster staging-eu' },
    { name: 'refusal-unknown-node', text: 'drain wrk-9' },
    { name: 'refusal-ambiguous-node', text: 'drain wrk' },
    {
      name: 'refusal-ambiguous-node-id',
      text: 'drain 7f3a',
      swarm: () => prodSwarm([...prodNodes(), worker('gpu-1', { id: '7f3a91c0d2e4b5a6c7d8e9f0a' }), worker('gpu-2', { id: '7f3ab2d4e6f8a0b1c2d3e4f5a' })]),
    },
    {
      name: 'refusal-quorum-guard-demote',
      text: 'demote mgr-2',
      swarm: () => {
        const nodes = prodNodes();
        nodes[2] = zoned('mgr-3', 'eu-west-1c', { reachability: 'unreachable' });
        return prodSwarm(nodes);
      },
    },
    { name: 'refusal-quorum-guard-drain', text: 'drain wrk-1', swarm: () => prodSwarm([zoned('mgr-1', 'eu-west-1a', { leader: true, availability: 'drain' }), worker('wrk-1')]) },
    { name: 'refusal-no-leader', text: 'rotate worker', swarm: () => new FakeSwarm([], { quorumLost: true }) },
    {
      name: 'refusal-overlay-exists',
      text: 'overlay create App',
      swarm: () => {
        const s = prodSwarm();
        s.opts.networks = overlays();
        return s;
      },
    },
    {
      name: 'refusal-internal-error',
      text: 'rotate worker',
      swarm: () => {
        const s = prodSwarm();
        s.tokens.rotate = async () => Promise.reject(new TypeError('Cannot read properties of undefined (reading \'JoinTokens\')'));
        return s;
      },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const w = world(c.swarm?.() ?? withSpareDaemons(prodSwarm()));
      await w.command(c.text, c.user ?? 'U0OPS', `req-${c.name.replace('refusal-', '')}`.slice(0, 64));
      // no leader, or our own failure: not a refusal of what was asked
      expectRefusal(w.lastResponse(), w.swarm, c.name === 'refusal-no-leader' || c.name === 'refusal-internal-error' ? 'error' : 'warn');
      golden(c.name, w.lastResponse());
      if (c.name === 'refusal-internal-error') golden('audit-channel-failed', w.auditPost('failed'));
    });
  }
});

describe('golden: the ingress acknowledgement (plain text, within 3 s)', () => {
  const ack = (text: string, user = 'U0OPS') =>
    acceptCommand(
      { secrets: async () => ({ signingSecret: SECRET, botToken: 'xoxb-test', botUserId: 'U0BOT' }), policies: policies(testPolicy()), queue: new FakeQueue(), log: new MemoryLog(), clock: { now: () => NOW }, newRequestId: () => 'req-ack' },
      { text, user_id: user, channel_id: CHANNEL, response_url: 'https://hooks.slack.com/commands/T0/1/r' },
    );

  it('working on it, a dry run, and refusals', async () => {
    goldenText('ingress-ack', (await ack('overlay create payments --encrypted')).text);
    goldenText('ingress-ack-dry-run', (await ack('overlay create payments --dry-run')).text);
    goldenText('ingress-refused-permission', (await ack('rotate worker', 'U0VIEW')).text);
    goldenText('ingress-refused-usage', (await ack('stauts')).text);
  });
});

describe('every Block Kit message stays inside Slack\'s limits and carries no secret', () => {
  it('across every message captured above, golden or not', () => {
    const messages = [
      ...checked,
      ...allChats.flatMap((c) => [
        ...c.responses.map((r) => ({ name: `response ${r.reply.title}`, message: r.message as SlackMessage })),
        ...c.posts.map((p) => ({ name: `post to ${p.channel}: ${p.reply.title}`, message: p.message })),
        ...c.updates.map((u) => ({ name: `update: ${u.reply.title}`, message: u.message })),
      ]),
    ];
    expect(messages.length).toBeGreaterThan(0);
    for (const { name, message } of messages) {
      expect(message.blocks.length, name).toBeLessThanOrEqual(50);
      expect(JSON.stringify(message), name).not.toMatch(SECRETS);
      for (const b of message.blocks as Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }>) {
        if (b.type === 'header') expect(b.text!.text.length, name).toBeLessThanOrEqual(150);
        if (b.type === 'section' && b.text) expect(b.text.text.length, name).toBeLessThanOrEqual(3000);
        if (b.fields) {
          expect(b.fields.length, name).toBeLessThanOrEqual(10);
          for (const f of b.fields) expect(f.text.length, name).toBeLessThanOrEqual(2000);
        }
      }
    }
  });
});
