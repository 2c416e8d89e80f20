import { describe, expect, it } from 'vitest';
import { caRotate } from '../../src/actions/ca.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, planAndApply, run } from '../support/run.js';

const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

describe('label', () => {
  it('sets and removes node labels, showing before and after', async () => {
    const s = threeManagers();
    s.nodeList[3] = worker('w1', { nodeLabels: { tier: 'web', old: '1' } });
    const r = await answer(s, 'label w1 az=eu-west-1a old-');
    expect(s.changes).toEqual([`update ${s.nodeList[3]!.id} {"labels":{"tier":"web","az":"eu-west-1a"}}`]);
    const text = renderPlainText(r);
    expect(text).toMatch(/az\s+-\s+eu-west-1a/);
    expect(text).toMatch(/old\s+1\s+\(removed\)/);
  });
  it('refuses a malformed label and says what to type', async () => {
    await expect(answer(threeManagers(), 'label w1 =x')).rejects.toThrow(/neither KEY=VALUE nor KEY-\. Type e\.g\. `az=eu-west-1a`/);
  });
  it('changes nothing when the labels are already so', async () => {
    const s = threeManagers();
    s.nodeList[3] = worker('w1', { nodeLabels: { az: 'a' } });
    expect((await answer(s, 'label w1 az=a')).title).toMatch(/unchanged/);
    expect(s.changes).toEqual([]);
  });
});

describe('node rm', () => {
  it('removes a down worker at once, without approval', async () => {
    const s = threeManagers();
    const id = s.nodeList[4]!.id;
    const r = await answer(s, 'node rm w2');
    expect(r.title).toBe('w2 removed from prod');
    expect(s.changes).toEqual([`rm ${id}`]);
  });
  it('refuses a node that is up without --force, and asks approval with it', async () => {
    const s = threeManagers();
    await expect(answer(s, 'node rm w1')).rejects.toThrow(/not down.*--force` \(needs approval\)/);
    expect((await run(s, 'node rm w1 --force')).kind).toBe('approval-needed');
    expect(s.changes).toEqual([]);
  });
  it('demotes and removes a dead manager in one approved request, with the arithmetic', async () => {
    const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3', { reachability: 'unreachable' }), worker('w1')]);
    const asked = await run(s, 'node rm m3');
    expect(asked.kind).toBe('approval-needed');
    const text = asked.kind === 'approval-needed' ? renderPlainText(asked.request) : '';
    expect(text).toMatch(/Now:\s+2 of 3 managers reachable/);
    expect(text).toMatch(/After the removal:\s+2 of 2 managers reachable/);
    const id = s.nodeList[2]!.id;
    const done = await answer(s, 'node rm m3', { approvedBy: 'U2', binding: { node: id } });
    expect(done.title).toBe('m3 removed from prod');
    expect(s.changes).toEqual([`update ${id} {"role":"worker"}`, `rm ${id} --force`]);
  });
  it('refuses a removal that would lose quorum', async () => {
    const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2', { reachability: 'unreachable' }), manager('m3')]);
    await expect(answer(s, 'node rm m3 --force', { approvedBy: 'U2' })).rejects.toThrow(/would lose quorum/);
    expect(s.changes).toEqual([]);
  });
});

describe('ca', () => {
  it('names the nodes whose certificate is not from the current root', async () => {
    const s = threeManagers();
    for (const n of s.nodeList) n.tlsIssuer = { subject: 'root-subject', publicKey: 'root-key' };
    s.nodeList[4]!.tlsIssuer = { subject: 'old', publicKey: 'old' };
    const text = renderPlainText(await answer(s, 'ca'));
    expect(text).toMatch(/Nodes on the current root:\s+4 of 5/);
    expect(text).toMatch(/not yet from the current root:\n  - w2 \(down\)/);
  });
  it('rotates with approval and shows progress until every node has the new issuer', async () => {
    const s = threeManagers();
    for (const n of s.nodeList) n.tlsIssuer = { subject: 'root-subject', publicKey: 'root-key' };
    const rotate = s.cluster.rotateCa;
    let polls = 0;
    let started = false;
    s.cluster.rotateCa = async () => {
      await rotate();
      started = true;
      s.clusterInfo = { ...s.clusterInfo, tlsIssuer: { subject: 'new', publicKey: 'new' } };
    };
    s.cluster.inspect = async () => {
      if (!started) return s.clusterInfo;
      polls++;
      // one node a poll, then the rotation ends
      const next = s.nodeList.find((n) => n.tlsIssuer?.subject !== 'new');
      if (next && polls > 2) next.tlsIssuer = { subject: 'new', publicKey: 'new' };
      return { ...s.clusterInfo, rootRotationInProgress: s.nodeList.some((n) => n.tlsIssuer?.subject !== 'new') };
    };
    const progress: string[] = [];
    const r = await planAndApply(caRotate(5_000, 1), s, {}, { progress: (t) => progress.push(t) });
    expect(r.title).toBe('CA of prod rotated');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/CA rotation: \d of 5 nodes have new certificates/);
    expect(s.changes).toEqual(['rotate ca']);
  });
});

describe('autolock', () => {
  it('keeps the unlock key in the store and never in the reply', async () => {
    const s = threeManagers();
    const keys = new MemoryUnlockKeys();
    const r = await answer(s, 'autolock on', { approvedBy: 'U2', unlockKeys: keys });
    expect(r.title).toBe('Autolock is on for prod');
    expect(keys.keys.get('prod')).toBe('SWMKEY-1-fakeunlockkey');
    expect(JSON.stringify(r)).not.toMatch(/SWMKEY/);
  });
  it('turns autolock off again when the key cannot be kept', async () => {
    const s = threeManagers();
    const keys = new MemoryUnlockKeys();
    keys.failPut = true;
    const r = await answer(s, 'autolock on', { approvedBy: 'U2', unlockKeys: keys });
    expect(r.tone).toBe('error');
    expect(renderPlainText(r)).toMatch(/could not be kept in SSM .*so autolock was turned off again/);
    expect(s.changes).toEqual(['autolock on', 'autolock off']);
    expect(JSON.stringify(r)).not.toMatch(/SWMKEY/);
  });
  it('needs approval', async () => {
    expect((await run(threeManagers(), 'autolock on')).kind).toBe('approval-needed');
  });
});

describe('unlock', () => {
  it('unlocks a locked manager by hostname with the kept key', async () => {
    const s = threeManagers();
    s.opts.probes = [{ endpoint: 'tcp://10.0.0.2:2376', daemonUp: true, info: daemonInfo({ name: 'm2', localState: 'locked' }) }];
    const keys = new MemoryUnlockKeys();
    await keys.put('prod', 'SWMKEY-1-kept');
    const r = await answer(s, 'unlock m2', { unlockKeys: keys });
    expect(r.title).toBe('m2 unlocked');
    expect(s.changes).toEqual(['unlock tcp://10.0.0.2:2376']);
  });
  it('says what to do when no key is kept', async () => {
    const s = threeManagers();
    s.opts.probes = [{ endpoint: 'tcp://10.0.0.2:2376', daemonUp: true, info: daemonInfo({ name: 'm2', localState: 'locked' }) }];
    await expect(answer(s, 'unlock m2')).rejects.toThrow(/No unlock key is kept for `prod`/);
  });
});

describe('recover', () => {
  it('is refused while the swarm has a leader', async () => {
    await expect(answer(threeManagers(), 'recover --from m1', { approvedBy: 'U2' })).rejects.toThrow(/has a leader: recovery is only for a swarm that lost quorum/);
  });
  it('spells out the consequences, needs approval, then forces a new cluster on that manager', async () => {
    const s = threeManagers();
    s.opts.quorumLost = true;
    s.opts.probes = [
      { endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1', managers: 3, engineId: 'E1' }) },
      { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' },
      { endpoint: 'tcp://10.0.0.3:2376', error: 'ECONNREFUSED' },
    ];
    const asked = await run(s, 'recover --from m1');
    expect(asked.kind).toBe('approval-needed');
    const text = asked.kind === 'approval-needed' ? renderPlainText(asked.request) : '';
    expect(text).toMatch(/Quorum lost: 1 of 3 managers reachable/);
    expect(text).toMatch(/must leave .* and join again/);
    const forced = s.daemons.forceNewCluster;
    s.daemons.forceNewCluster = async (url: string) => {
      await forced(url);
      s.opts.quorumLost = false;
    };
    const r = await answer(s, 'recover --from m1', { approvedBy: 'U2', binding: { engineId: 'E1' } });
    expect(s.changes).toEqual(['force-new-cluster tcp://10.0.0.1:2376']);
    expect(r.title).toBe('prod recovered on m1');
    expect(renderPlainText(r)).toMatch(/\/swarm join manager tcp:\/\/10.0.0.2:2376/);
  });
});
