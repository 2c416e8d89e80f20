import { describe, expect, it } from 'vitest';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';
const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

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
