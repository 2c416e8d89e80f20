import { describe, expect, it } from 'vitest';
import { caRotate } from '../../src/actions/ca.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, planAndApply } from '../support/run.js';
const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

describe('ca', () => {
  it('names the nodes whose certificate is not from the current root', async () => {
    const s = threeManagers();
    for (const n of s.nodeList) n.tlsIssuer = { subject: 'root-subject', publicKey: 'root-key' };
    s.nodeList[4]!.tlsIssuer = { subject: 'old', publicKey: 'old' };
    const text = renderPlainText(await answer(s, 'ca'));
    expect(text).toMatch(/Nodes on the current root:\s+4 of 5/);
    expect(text).toMatch(/not yet from the current root:\n {2}- w2 \(down\)/);
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
