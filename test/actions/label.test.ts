import { describe, expect, it } from 'vitest';
import { renderPlainText } from '../../src/render/plain-text.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';
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
