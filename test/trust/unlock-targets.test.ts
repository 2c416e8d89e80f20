/**
 * Issue 21, findings 2 and 3: `unlock <url>` sent the kept unlock key to any
 * daemon with a certificate from the cluster's CA that said "locked", and
 * `unlock` (and `join` without joinCidrs) told an open port from a closed one.
 * Now: unlock only to the cluster's own managers (its configured endpoints,
 * or a manager address Docker lists for that swarm), joinCidrs applied,
 * pinned to the certificate seen when planning; and one plain error for
 * "can't reach that target", whatever the reason, after the same time.
 */
import { describe, expect, it } from 'vitest';
import { DockerDaemons } from '../../src/adapters/docker/docker-daemons.js';
import { DockerNodes } from '../../src/adapters/docker/docker-nodes.js';
import { DockerTransport } from '../../src/adapters/docker/docker-transport.js';
import { parsePolicy } from '../../src/config/policy.js';
import { FakeConnector, routes, type FakeDaemon } from '../support/fake-endpoints.js';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { FakeSwarm, daemonInfo, manager, worker } from '../support/fixtures.js';
import { answer, openPolicy } from '../support/run.js';

const FP = 'cd'.repeat(32);

function cluster() {
  // three managers at 10.0.0.1-3 (Raft on 2377); the configured endpoints are m1 and m2 only
  const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1')], { info: daemonInfo() });
  s.opts.probes = [
    { endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1' }) },
    { endpoint: 'tcp://10.0.0.2:2376', daemonUp: true, info: daemonInfo({ name: 'm2', localState: 'locked', apiCertFingerprint: FP }) },
  ];
  const contacted: string[] = [];
  const inspect = s.nodes.inspectDaemon;
  s.nodes.inspectDaemon = async (url: string) => (contacted.push(url), inspect(url));
  const unlocked: Array<{ url: string; key: string; expect?: unknown }> = [];
  (s.daemons as { unlock: unknown }).unlock = async (url: string, key: string, expect?: unknown) => void unlocked.push({ url, key, ...(expect ? { expect } : {}) });
  return { s, contacted, unlocked };
}

async function keys() {
  const k = new MemoryUnlockKeys();
  await k.put('prod', 'SWMKEY-1-kept');
  return k;
}

describe('unlock sends the key to the cluster\'s own managers only', () => {
  it('a daemon that is not one of the managers gets nothing and is not even contacted', async () => {
    const { s, contacted, unlocked } = cluster();
    // an insider's daemon with a certificate from the cluster's CA, saying it is locked
    s.daemons.set('tcp://10.9.9.9:2376', daemonInfo({ endpoint: 'tcp://10.9.9.9:2376', name: 'innocent-node', localState: 'locked' }));
    await expect(answer(s, 'unlock tcp://10.9.9.9:2376', { unlockKeys: await keys() })).rejects.toThrow(/not one of `prod`'s managers.*Nothing was sent/);
    expect(unlocked).toEqual([]);
    expect(contacted).toEqual([]);
  });

  it('a configured endpoint is unlocked, pinned to the certificate seen when planning', async () => {
    const { s, unlocked } = cluster();
    await answer(s, 'unlock tcp://10.0.0.2:2376', { unlockKeys: await keys() });
    expect(unlocked).toEqual([{ url: 'tcp://10.0.0.2:2376', key: 'SWMKEY-1-kept', expect: { certFingerprint: FP } }]);
  });

  it('a manager Docker lists but not configured (m3) is accepted at its address on the configured port, pinned', async () => {
    const { s, unlocked, contacted } = cluster();
    s.daemons.set('tcp://10.0.0.3:2376', daemonInfo({ endpoint: 'tcp://10.0.0.3:2376', name: 'm3', localState: 'locked', apiCertFingerprint: FP }));
    await answer(s, 'unlock tcp://10.0.0.3:2376', { unlockKeys: await keys() });
    expect(contacted).toEqual(['tcp://10.0.0.3:2376']);
    expect(unlocked).toEqual([{ url: 'tcp://10.0.0.3:2376', key: 'SWMKEY-1-kept', expect: { certFingerprint: FP } }]);
  });

  it("a worker's address, or a manager's host on another port, is no manager endpoint", async () => {
    const { s, unlocked, contacted } = cluster();
    for (const url of ['tcp://10.0.1.1:2376', 'tcp://10.0.0.3:9999']) {
      s.daemons.set(url, daemonInfo({ endpoint: url, localState: 'locked' }));
      await expect(answer(s, `unlock ${url}`, { unlockKeys: await keys() })).rejects.toThrow(/not one of `prod`'s managers/);
    }
    expect(unlocked).toEqual([]);
    expect(contacted).toEqual([]);
  });

  it('joinCidrs apply to a manager address that is not configured', async () => {
    const { s, unlocked, contacted } = cluster();
    s.daemons.set('tcp://10.0.0.3:2376', daemonInfo({ endpoint: 'tcp://10.0.0.3:2376', name: 'm3', localState: 'locked' }));
    const policy = parsePolicy(JSON.stringify({ ...openPolicy(), clusters: { prod: { joinCidrs: ['10.0.0.0/31'] } } }));
    await expect(answer(s, 'unlock tcp://10.0.0.3:2376', { unlockKeys: await keys(), policy })).rejects.toThrow(/outside the networks/);
    expect(unlocked).toEqual([]);
    expect(contacted).toEqual([]);
  });
});

describe("one plain error for a target that can't be reached", () => {
  const URL = 'tcp://10.0.0.5:2376';
  const CALL_MS = 200;
  async function attempt(how: FakeDaemon) {
    const connector = new FakeConnector({ 'tcp://10.0.0.1:2376': {}, [URL]: how });
    const t = new DockerTransport({ endpoints: ['tcp://10.0.0.1:2376'], ca: '', cert: '', key: '' }, { callTimeoutMs: CALL_MS, connectTimeoutMs: 100, connector });
    const started = performance.now();
    const err = (await new DockerNodes(t).inspectDaemon(URL).catch((e: unknown) => e)) as Error;
    return { message: err.message, ms: performance.now() - started };
  }

  it('refused, timed out, TLS refused, or answering garbage: the same message, after the same time', async () => {
    const outcomes = await Promise.all([
      attempt({ ping: 'refuse' }),
      attempt({ ping: 'hang' }),
      attempt({ ping: 'tls' }),
      attempt({ answer: routes({ 'GET /info': () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })) }) }),
    ]);
    console.log(`unreachable target: ${outcomes.map((o) => `${o.ms.toFixed(0)} ms`).join(', ')}`);
    expect(new Set(outcomes.map((o) => o.message)).size).toBe(1);
    expect(outcomes[0]!.message).toMatch(/^Can't reach a Docker daemon at tcp:\/\/10\.0\.0\.5:2376/);
    expect(outcomes[0]!.message).not.toMatch(/ECONNREFUSED|timed out|TLS|certificate|ECONNRESET/);
    for (const o of outcomes) expect(o.ms).toBeGreaterThanOrEqual(CALL_MS - 5);
  });
});

describe('the adapter pins the unlock to the certificate it is given', () => {
  it('sends the key only on a client pinned to that fingerprint', async () => {
    const D = 'tcp://10.0.0.5:2376';
    const connector = new FakeConnector({ 'tcp://10.0.0.1:2376': {}, [D]: { answer: routes({ 'POST /swarm/unlock': {} }) } });
    const t = new DockerTransport({ endpoints: ['tcp://10.0.0.1:2376'], ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
    await new DockerDaemons(t, { slowCallMs: 300, settleMs: 400 }).unlock(D, 'SWMKEY-1-kept', { certFingerprint: FP });
    // (the first client is the negotiated one the transport keeps; the unlock's own is the pinned one)
    expect(connector.clients.filter((c) => c.url === D).at(-1)).toMatchObject({ pin: FP });
    expect(connector.to(D, 'POST /swarm/unlock')).toHaveLength(1);
  });
});
