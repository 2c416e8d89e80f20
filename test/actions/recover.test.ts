import { describe, expect, it } from 'vitest';
import { renderPlainText } from '../../src/render/plain-text.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, run } from '../support/run.js';
const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

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
