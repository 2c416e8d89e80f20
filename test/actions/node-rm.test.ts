import { describe, expect, it } from 'vitest';
import { renderPlainText } from '../../src/render/plain-text.js';
import { daemonInfo, FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer, run } from '../support/run.js';
const threeManagers = () => new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2', { state: 'down' })], { info: daemonInfo() });

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
