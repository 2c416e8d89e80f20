import { describe, expect, it } from 'vitest';
import { assessQuorum, explainQuorum, faultToleranceOf, quorumOf } from '../../src/domain/quorum.js';

describe('Raft arithmetic for 1 to 9 managers', () => {
  // Docker's admin guide table: managers → majority, tolerance
  const table: Array<[number, number, number]> = [
    [1, 1, 0], [2, 2, 0], [3, 2, 1], [4, 3, 1], [5, 3, 2], [6, 4, 2], [7, 4, 3], [8, 5, 3], [9, 5, 4],
  ];
  it.each(table)('%i managers: quorum %i, tolerates %i', (n, q, t) => {
    expect(quorumOf(n)).toBe(q);
    expect(faultToleranceOf(n)).toBe(t);
  });

  for (const [n, q, t] of table) {
    for (let down = 0; down <= n; down++) {
      const reachable = n - down;
      const expected = reachable < q ? 'quorum lost' : reachable - q < t ? 'degraded' : 'healthy';
      it(`${n} managers, ${down} unreachable → ${expected}`, () => {
        const a = assessQuorum(n, reachable);
        expect(a.verdict).toBe(expected);
        expect(a.quorum).toBe(q);
        expect(a.designedTolerance).toBe(t);
        expect(a.unreachable).toBe(down);
        expect(a.neededForQuorum).toBe(Math.max(0, q - reachable));
        expect(a.remainingTolerance).toBe(reachable >= q ? reachable - q : 0);
      });
    }
  }

  it('explains the arithmetic in words', () => {
    expect(explainQuorum(assessQuorum(3, 3))).toBe('3 of 3 managers reachable; quorum 2 (⌊3/2⌋+1); tolerates 1 more failure.');
    expect(explainQuorum(assessQuorum(5, 4))).toBe('4 of 5 managers reachable; quorum 3 (⌊5/2⌋+1); tolerates 1 more failure (designed for 2).');
    expect(explainQuorum(assessQuorum(3, 1))).toBe('1 of 3 managers reachable; quorum needs 2 (⌊3/2⌋+1), so 1 more must come back.');
  });

  it('rejects impossible counts', () => {
    expect(() => assessQuorum(3, 4)).toThrow(RangeError);
    expect(() => assessQuorum(-1, 0)).toThrow(RangeError);
  });
});
