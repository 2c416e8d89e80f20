import { describe, expect, it } from 'vitest';
import { byNatural, naturalCompare } from '../../src/domain/natural-sort.js';

describe('naturalCompare', () => {
  it.each([
    ['lab-n2', 'lab-n10', -1],
    ['lab-n10', 'lab-n2', 1],
    ['lab-n1', 'lab-n1', 0],
    ['worker-9', 'worker-10', -1],
    ['node2', 'node10', -1],
    ['a', 'b', -1],
    // case is ignored
    ['Lab-N2', 'lab-n10', -1],
    ['LAB-N1', 'lab-n1', 0],
    ['Alpha', 'beta', -1],
    // numbers compare by value wherever they are
    ['10.0.0.9', '10.0.0.10', -1],
    ['v1.2.10', 'v1.2.9', 1],
    ['', 'a', -1],
  ] as const)('%j vs %j: %d', (a, b, sign) => {
    expect(Math.sign(naturalCompare(a, b))).toBe(sign);
  });

  it('sorts swarm node names the way people count', () => {
    const names = ['lab-n10', 'lab-n2', 'Lab-n1', 'lab-n11', 'lab-n3', 'db-1', 'DB-10', 'db-2'];
    expect([...names].sort(naturalCompare)).toEqual(['db-1', 'db-2', 'DB-10', 'Lab-n1', 'lab-n2', 'lab-n3', 'lab-n10', 'lab-n11']);
  });

  it('keeps the input order of names that differ only in case (a stable sort)', () => {
    expect(['node-B', 'node-a', 'NODE-b', 'node-A'].sort(naturalCompare)).toEqual(['node-a', 'node-A', 'node-B', 'NODE-b']);
  });

  it('sorts by a key', () => {
    const nodes = [{ hostname: 'w10' }, { hostname: 'w9' }, { hostname: 'W1' }];
    expect(nodes.sort(byNatural((n) => n.hostname)).map((n) => n.hostname)).toEqual(['W1', 'w9', 'w10']);
  });
});
