import { describe, expect, it } from 'vitest';
import { buildMatrix, overlayCheck, renderMatrix } from '../../src/actions/overlay-check.js';
import { parseCommand } from '../../src/commands/parse.js';
import { parsePolicy } from '../../src/config/policy.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, network, worker } from '../support/fixtures.js';
import { answer, planAndApply } from '../support/run.js';
import { MemoryState } from '../support/fakes.js';

const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: [] } }));
const run = (swarm: FakeSwarm, text: string) => answer(swarm, text, { policy });

describe('overlay create', () => {
  const existing = () => new FakeSwarm([manager('m1', { leader: true })], { networks: [network('app', { subnets: [{ subnet: '10.20.0.0/24' }] })] });

  it.each([
    ['overlay create app', /named `app` already exists/],
    ['overlay create ingress', /one of Docker's own networks/],
    ['overlay create new --subnet 10.20.0.128/25', /overlaps 10.20.0.0\/24 of network `app`/],
    ['overlay create new --subnet 10.30.0.0/24 --gateway 10.31.0.1', /Gateway 10.31.0.1 is outside subnet 10.30.0.0\/24/],
    ['overlay create new --subnet 10.30.0.0/24 --gateway 10.30.0.0', /network or broadcast address/],
    ['overlay create new --subnet 10.30.0.0/24 --gateway 10.30.0.255', /network or broadcast address/],
    ['overlay create new --subnet 10.30.0.5/24', /has host bits set. Type the network address: `--subnet 10.30.0.0\/24`/],
    ['overlay create APP', /named `APP` \(in any letter case\)|already exists/],
  ])('%s is refused and creates nothing', async (text, message) => {
    const swarm = existing();
    await expect(run(swarm, text)).rejects.toThrow(message);
    expect(swarm.changes).toEqual([]);
  });

  it.each([
    ['overlay create -bad', /<name>/],
    ['overlay create ok --subnet 10.0.0.0/33', /not a CIDR/],
    ['overlay create ok --gateway 10.0.0.1', /--gateway needs --subnet/],
    ['overlay create ok --subnet 10.0.0.0/24 --gateway 10.0.0.300', /not an IP address/],
  ])('%s is a usage error', (text, message) => {
    expect(() => parseCommand(text)).toThrow(message);
  });

  it('creates attachable by default, encrypted when asked, and warns about Windows nodes', async () => {
    const swarm = new FakeSwarm([manager('m1', { leader: true }), worker('win1', { os: 'windows' })], { networks: [] });
    const r = await run(swarm, 'overlay create secure --encrypted --subnet 10.40.0.0/24 --gateway 10.40.0.1');
    const text = renderPlainText(r);
    expect(swarm.changes).toEqual(['create secure']);
    expect(text).toMatch(/Attachable:\s+yes/);
    expect(text).toMatch(/Encrypted:\s+yes/);
    expect(text).toMatch(/not supported on Windows; tasks on win1/);
  });

  it('dry run changes nothing', async () => {
    const swarm = existing();
    const r = await run(swarm, 'overlay create fresh --no-attachable --dry-run');
    expect(renderPlainText(r)).toMatch(/Would create overlay fresh in prod\. Nothing was changed\.\n\nOverlay driver, swarm scope; not attachable/);
    expect(swarm.changes).toEqual([]);
  });
});

describe('overlay rm', () => {
  it('refuses while services use it, and refuses ingress', async () => {
    const swarm = new FakeSwarm([], { networks: [network('app'), network('ingress', { ingress: true })] });
    swarm.usage.set('netapp0000000000', { services: ['web'], containers: 3 });
    await expect(run(swarm, 'overlay rm app')).rejects.toThrow(/in use by service `web` \(3 containers\)/);
    await expect(run(swarm, 'overlay rm ingress')).rejects.toThrow(/routing-mesh/);
    expect(swarm.changes).toEqual([]);
  });
});

describe('overlay check matrix', () => {
  const tasks = [
    { id: 't1', nodeId: 'n1', state: 'running', desiredState: 'running', addresses: ['10.0.9.2'] },
    { id: 't2', nodeId: 'n2', state: 'running', desiredState: 'running', addresses: ['10.0.9.3'] },
    { id: 't3', nodeId: 'n3', state: 'running', desiredState: 'running', addresses: ['10.0.9.4'] },
  ];
  const host = (id: string) => ({ n1: 'a', n2: 'b', n3: 'c' })[id]!;
  it('marks failed pairs, and a node that never reported as not measured (late), never as failed', () => {
    const logs = [
      'PROBE-SEEN a 3 3 1', 'PROBE a 10.0.9.2 ok', 'PROBE a 10.0.9.3 ok', 'PROBE a 10.0.9.4 fail', 'PROBE-DONE a 3 3 9',
      'PROBE b 10.0.9.2 ok', 'PROBE b 10.0.9.3 ok', 'PROBE b 10.0.9.4 ok', 'PROBE-DONE b 3',
      'PROBE-SEEN c 3 3 2',
    ].join('\n');
    const m = buildMatrix(['a', 'b', 'c'], logs, tasks, host);
    expect(m.failed).toEqual([['a', 'c']]);
    expect(m.tasks['c']).toMatchObject({ started: true, done: false, seen: 3, expected: 3 });
    expect(m.tasks['a']).toMatchObject({ done: true, seen: 3, expected: 3, waitedS: 1 });
    expect(renderMatrix(m).rows).toEqual([
      ['a', '·', 'ok', 'FAIL'],
      ['b', 'ok', '·', 'ok'],
      ['c', 'late', 'late', '·'],
    ]);
    expect({ ok: m.ok, unmeasured: m.unmeasured }).toEqual({ ok: 3, unmeasured: 2 });
  });
}

);

describe('overlay check action', () => {
  const fast = { startMs: 50, reportMs: 50, pollMs: 5 };
  const swarmWithNet = () => {
    const s = new FakeSwarm([manager('m1', { leader: true, id: 'n1' }), worker('w1', { id: 'n2' }), worker('w2', { id: 'n3', availability: 'drain' })], { networks: [network('app')] });
    s.tasks = [
      { id: 't1', nodeId: 'n1', state: 'running', desiredState: 'running', addresses: ['10.0.9.2'] },
      { id: 't2', nodeId: 'n2', state: 'running', desiredState: 'running', addresses: ['10.0.9.3'] },
    ];
    return s;
  };

  it('dry run starts nothing', async () => {
    const s = swarmWithNet();
    const r = await planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy, dryRun: true });
    expect(renderPlainText(r)).toMatch(/would check overlay app across 2 nodes[\s\S]*Runs swarm-ops-probe-req1 \(alpine:3\) as a global service on app/);
    expect(s.probeServices).toEqual([]);
  });

  it('runs a global probe, builds the matrix, removes the probe, and skips drained nodes', async () => {
    const s = swarmWithNet();
    s.logs = 'PROBE m1 10.0.9.2 ok\nPROBE m1 10.0.9.3 ok\nPROBE-DONE m1 2\nPROBE w1 10.0.9.2 ok\nPROBE w1 10.0.9.3 ok\nPROBE-DONE w1 2\n';
    const r = await planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy });
    const text = renderPlainText(r);
    expect(r.title).toBe('Overlay check app: passed');
    expect(s.probeServices[0]).toMatchObject({ image: 'alpine:3', networkId: 'netapp0000000000', env: expect.arrayContaining(['PROBE_EXPECT=2', 'PROBE_NODE={{.Node.Hostname}}']) });
    expect(s.removed).toEqual(['svc1']);
    expect(text).toMatch(/Not probed \(not ready or not active\): w2 \(ready, drain\)/);
  });

  it('removes the probe and reports a failure when a node never reports', async () => {
    const s = swarmWithNet();
    s.logs = 'PROBE m1 10.0.9.3 fail\nPROBE-DONE m1 2\n';
    const r = await planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy });
    expect(r.title).toBe('Overlay check app: FAILED');
    expect(renderPlainText(r)).toMatch(/m1 → w1/);
    expect(renderPlainText(r)).toMatch(/Not measured \(1 pair\):\n {2}- w1 did not report in time/);
    expect(s.removed).toEqual(['svc1']);
  });

  it('removes the probe also when collecting results fails, and says when it could not', async () => {
    const s = swarmWithNet();
    s.probe.logs = async () => Promise.reject(new Error('log broker gone'));
    await expect(planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy })).rejects.toThrow(/log broker gone/);
    expect(s.removed).toEqual(['svc1']);
  });
});

describe('overlay check, one per cluster', () => {
  it('refuses a second check while one runs, naming who runs it, and frees the cluster after', async () => {
    const fast = { startMs: 20, reportMs: 20, pollMs: 5 };
    const s = new FakeSwarm([manager('m1', { leader: true, id: 'n1' })], { networks: [network('app')] });
    const claims = new MemoryState();
    await claims.claim('probe#prod', 'other-req', { note: '<@U0OTHER> (request `other-req`)' });
    await expect(planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy, claims })).rejects.toThrow(/already running on `prod`, started by <@U0OTHER>/);
    expect(s.probeServices).toEqual([]);
    await claims.release('probe#prod', 'other-req');
    await planAndApply(overlayCheck(fast), s, { name: 'app' }, { policy, claims });
    expect(s.probeServices).toHaveLength(1);
    expect(await claims.holder('probe#prod')).toBeUndefined();
  });
});
