import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statusWarnings } from '../../src/actions/status.js';
import { parsePolicy } from '../../src/config/policy.js';
import { assessQuorum } from '../../src/domain/quorum.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { renderBlockKit } from '../../src/render/block-kit.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C0AUDIT', roles: { viewer: ['*'], operator: [], approver: [] } }));

const status = (swarm: FakeSwarm) => answer(swarm, 'status', { policy, now: NOW });

/** Golden files live beside the test; UPDATE_GOLDEN=1 rewrites them after a deliberate change. */
function golden(name: string, actual: string) {
  const path = new URL(`./golden/${name}.txt`, import.meta.url);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const info = daemonInfo({ caExpiresAt: new Date('2036-01-01T00:00:00Z'), apiCertExpiresAt: new Date('2027-06-01T00:00:00Z') });

describe('status', () => {
  it('healthy: three reachable managers across zones', async () => {
    const swarm = new FakeSwarm(
      [
        manager('mgr-1', { leader: true, labels: { az: 'eu-west-1a' } }),
        manager('mgr-2', { labels: { az: 'eu-west-1b' } }),
        manager('mgr-3', { labels: { az: 'eu-west-1c' } }),
        worker('wrk-1'),
        worker('wrk-2'),
      ],
      { info },
    );
    const r = await status(swarm);
    expect(r.title).toBe('Swarm prod: healthy');
    expect(r.tone).toBe('ok');
    golden('status-healthy', renderPlainText(r));
    golden('status-healthy.blocks', JSON.stringify(renderBlockKit(r), null, 2) + '\n');
  });

  it('degraded: one manager unreachable, named', async () => {
    const swarm = new FakeSwarm(
      [manager('mgr-1', { leader: true }), manager('mgr-2', { reachability: 'unreachable' }), manager('mgr-3'), worker('wrk-1')],
      { info },
    );
    const r = await status(swarm);
    expect(r.title).toBe('Swarm prod: degraded');
    const text = renderPlainText(r);
    expect(text).toContain('Unreachable manager: mgr-2');
    golden('status-degraded', text);
  });

  it('quorum lost: answered from each manager\'s /info', async () => {
    const swarm = new FakeSwarm([], {
      quorumLost: true,
      probes: [
        {
          endpoint: 'tcp://10.0.0.1:2376',
          info: daemonInfo({
            managers: 3,
            localState: 'active',
            remoteManagers: [
              { nodeId: 'mgr1id', addr: '10.0.0.1:2377' },
              { nodeId: 'mgr2id', addr: '10.0.0.2:2377' },
              { nodeId: 'mgr3id', addr: '10.0.0.3:2377' },
            ],
            error: 'rpc error: code = Unknown desc = The swarm does not have a leader.',
          }),
        },
        { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' },
        { endpoint: 'tcp://10.0.0.3:2376', error: 'timed out' },
      ],
    });
    const r = await status(swarm);
    expect(r.title).toBe('Swarm prod: quorum lost');
    expect(r.tone).toBe('error');
    const text = renderPlainText(r);
    expect(text).toContain('1 of 3 managers reachable; quorum needs 2');
    expect(text).toContain('mgr-1 via tcp://10.0.0.1:2376');
    expect(text).toContain('Raft address 10.0.0.2:2377');
    golden('status-quorum-lost', text);
  });

  it('quorum lost and no manager answers: a clear error', async () => {
    const swarm = new FakeSwarm([], { quorumLost: true, probes: [{ endpoint: 'tcp://a:2376', error: 'ECONNREFUSED' }] });
    await expect(status(swarm)).rejects.toThrow(/No manager of `prod` answered: tcp:\/\/a:2376 \(ECONNREFUSED\)/);
  });

  it('renders a thousand-node swarm inside Slack\'s limits', async () => {
    const nodes = [manager('mgr-1', { leader: true }), manager('mgr-2'), manager('mgr-3')];
    for (let i = 0; i < 1000; i++) nodes.push(worker(`wrk-${i}`, i % 100 === 0 ? { state: 'down' } : {}));
    const msg = renderBlockKit(await status(new FakeSwarm(nodes, { info })));
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(msg.blocks).length).toBeLessThan(12_000);
    for (const b of msg.blocks) {
      const t = (b as { text?: { text: string } }).text?.text;
      if (t) expect(t.length).toBeLessThanOrEqual(3000);
    }
  });
});

describe('status warnings follow the operating advice', () => {
  const warn = (nodes: ReturnType<typeof manager>[], extra: Partial<Parameters<typeof statusWarnings>[0]> = {}) => {
    const managers = nodes.filter((n) => n.role === 'manager');
    const reachable = managers.filter((m) => m.manager?.reachability === 'reachable').length;
    return statusWarnings({ nodes, quorum: assessQuorum(managers.length, reachable), now: NOW, ...extra }).join('\n');
  };
  it.each([
    ['single manager', [manager('m1', { leader: true })], /Only one manager/],
    ['even managers', [manager('m1', { leader: true }), manager('m2')], /2 managers is an even number: it tolerates 0 failures/],
    ['more than 7', Array.from({ length: 9 }, (_, i) => manager(`m${i}`, { leader: i === 0 })), /9 managers: more than 7/],
    ['down node', [manager('m1', { leader: true }), worker('w1', { state: 'down' })], /1 node not ready: `w1` \(down\)/],
    ['drained manager', [manager('m1', { leader: true, availability: 'drain' })], /Drained manager: `m1` \(still voting/],
    ['one zone', [manager('m1', { leader: true, labels: { zone: 'a' } }), manager('m2', { labels: { zone: 'a' } }), manager('m3', { labels: { 'topology.kubernetes.io/zone': 'a' } })], /one availability zone \(`a`\)/],
    ['version skew', [manager('m1', { leader: true }), worker('w1', { engineVersion: '24.0.7' })], /Engine version skew: 20.10.24 \(1\), 24.0.7 \(1\)/],
  ])('%s', (_name, nodes, pattern) => {
    expect(warn(nodes as ReturnType<typeof manager>[])).toMatch(pattern);
  });

  it('certificates expiring within 30 days', () => {
    const nodes = [manager('m1', { leader: true }), manager('m2'), manager('m3')];
    const text = warn(nodes, { info: daemonInfo({ caExpiresAt: new Date('2026-12-01T00:00:00Z'), apiCertExpiresAt: new Date('2026-11-01T00:00:00Z') }) });
    expect(text).toMatch(/swarm root CA certificate expires in 9 days/);
    expect(text).toMatch(/TLS certificate of the manager API at tcp:\/\/10.0.0.1:2376 expired on 2026-11-01/);
  });

  it('Windows nodes with encrypted overlays', () => {
    const nodes = [manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('win1', { os: 'windows' })];
    const text = warn(nodes, {
      networks: [{ id: 'n', name: 'secure', driver: 'overlay', scope: 'swarm', attachable: true, ingress: false, internal: false, encrypted: true, subnets: [], labels: {} }],
    });
    expect(text).toMatch(/Encrypted overlay `secure` with Windows node `win1`/);
  });

  it('no warnings for three healthy managers in three zones', () => {
    const nodes = [manager('m1', { leader: true, labels: { az: 'a' } }), manager('m2', { labels: { az: 'b' } }), manager('m3', { labels: { az: 'c' } })];
    expect(warn(nodes)).toBe('');
  });
});

describe('no leader while a quorum answers', () => {
  it('says an election is under way rather than quorum lost', async () => {
    const members = [
      { nodeId: 'a', addr: '10.0.0.1:2377' },
      { nodeId: 'b', addr: '10.0.0.2:2377' },
      { nodeId: 'c', addr: '10.0.0.3:2377' },
    ];
    const swarm = new FakeSwarm([], {
      quorumLost: true,
      probes: [
        { endpoint: 'tcp://10.0.0.1:2376', error: 'ECONNREFUSED' },
        { endpoint: 'tcp://10.0.0.2:2376', daemonUp: true, info: daemonInfo({ name: 'mgr-2', nodeId: 'b', remoteManagers: members }) },
        { endpoint: 'tcp://10.0.0.3:2376', daemonUp: true, info: daemonInfo({ name: 'mgr-3', nodeId: 'c', remoteManagers: members }) },
      ],
    });
    const r = await status(swarm);
    expect(r.title).toBe('Swarm prod: no leader yet');
    expect(renderPlainText(r)).toContain('2 of 3 managers reachable; quorum 2');
    expect(renderPlainText(r)).toContain('Raft address 10.0.0.1:2377');
  });

  it('flags a stale leader view', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2', { reachability: 'unreachable' }), manager('m3', { reachability: 'unreachable' })], { info });
    const r = await status(swarm);
    expect(r.title).toBe('Swarm prod: quorum lost');
    expect(renderPlainText(r)).toContain('which still names itself leader: its view is stale');
  });
});
