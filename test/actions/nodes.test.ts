import { describe, expect, it } from 'vitest';
import { NODES_PER_PAGE } from '../../src/actions/nodes.js';
import { renderBlockKit } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';

const big = (workers: number) => {
  const list = [manager('m1', { leader: true }), manager('m2'), manager('m3')];
  for (let i = 1; i <= workers; i++) list.push(worker(`w${i}`, { ...(i % 10 === 0 ? { state: 'down' as const } : {}), ...(i % 3 === 0 ? { nodeLabels: { az: 'a' }, labels: { az: 'a' } } : {}) }));
  return new FakeSwarm(list);
};

describe('nodes', () => {
  it('filters by state, role, availability and label', async () => {
    const s = big(30);
    expect((await answer(s, 'nodes --filter down')).title).toBe('Nodes of prod (3 of 33, not ready)');
    expect((await answer(s, 'nodes --filter manager')).title).toBe('Nodes of prod (3 of 33, manager)');
    expect((await answer(s, 'nodes --filter az=a')).title).toBe('Nodes of prod (10 of 33, label `az=a`)');
    await expect(answer(s, 'nodes --filter dwon')).rejects.toThrow(/did you mean `down`\?/);
  });
  it('pages a large swarm and says how to see the rest; every page fits one Slack message', async () => {
    const s = big(1000);
    const first = await answer(s, 'nodes');
    expect(renderPlainText(first)).toMatch(new RegExp(`page 1 of ${Math.ceil(1003 / NODES_PER_PAGE)}: type /swarm nodes --page 2 for more`));
    expect(JSON.stringify(renderBlockKit(first))).not.toMatch(/did not fit/);
    const last = await answer(s, `nodes --page ${Math.ceil(1003 / NODES_PER_PAGE)}`);
    expect(last.parts.find((p) => p.kind === 'table')).toMatchObject({ rows: expect.any(Array) });
    await expect(answer(s, 'nodes --page 999')).rejects.toThrow(/There are \d+ pages of nodes; type `--page \d+` or less/);
  });
});
