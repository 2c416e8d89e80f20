import { describe, expect, it } from 'vitest';
import { renderPlainText } from '../../src/render/plain-text.js';
import { MemoryUnlockKeys } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, run } from '../support/run.js';
const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

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
