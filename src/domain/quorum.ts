/** Raft arithmetic as Docker's admin guide states it. */

export const quorumOf = (managers: number): number => Math.floor(managers / 2) + 1;

export const faultToleranceOf = (managers: number): number => (managers < 1 ? 0 : Math.floor((managers - 1) / 2));

export type Verdict = 'healthy' | 'degraded' | 'quorum lost';

export interface QuorumAssessment {
  managers: number;
  reachable: number;
  unreachable: number;
  quorum: number;
  /** failures the swarm was sized to survive */
  designedTolerance: number;
  /** further failures it survives now (0 when quorum is lost) */
  remainingTolerance: number;
  /** managers that must come back before the swarm can change again */
  neededForQuorum: number;
  verdict: Verdict;
}

export function assessQuorum(managers: number, reachable: number): QuorumAssessment {
  if (!Number.isInteger(managers) || !Number.isInteger(reachable) || managers < 0 || reachable < 0 || reachable > managers) {
    throw new RangeError(`bad manager counts: ${reachable} reachable of ${managers}`);
  }
  const quorum = quorumOf(managers);
  const designedTolerance = faultToleranceOf(managers);
  const held = managers > 0 && reachable >= quorum;
  const remainingTolerance = held ? reachable - quorum : 0;
  return {
    managers,
    reachable,
    unreachable: managers - reachable,
    quorum,
    designedTolerance,
    remainingTolerance,
    neededForQuorum: held ? 0 : quorum - reachable,
    verdict: !held ? 'quorum lost' : remainingTolerance < designedTolerance ? 'degraded' : 'healthy',
  };
}

/** Why an even number of managers is advised against, with the numbers. */
export function evenManagersAdvice(managers: number): string {
  const t = faultToleranceOf(managers);
  return (
    `${managers} managers is an even number: it tolerates ${t} failure${t === 1 ? '' : 's'}, ` +
    `no more than ${managers - 1} manager${managers - 1 === 1 ? '' : 's'} would, while needing a larger quorum (${quorumOf(managers)}). Use an odd number.`
  );
}

/** One line of arithmetic, shown wherever a decision depends on it. */
export function explainQuorum(q: QuorumAssessment): string {
  if (q.verdict === 'quorum lost') {
    return `${q.reachable} of ${q.managers} managers reachable; quorum needs ${q.quorum} (⌊${q.managers}/2⌋+1), so ${q.neededForQuorum} more must come back.`;
  }
  return (
    `${q.reachable} of ${q.managers} managers reachable; quorum ${q.quorum} (⌊${q.managers}/2⌋+1); ` +
    `tolerates ${q.remainingTolerance} more failure${q.remainingTolerance === 1 ? '' : 's'}` +
    (q.remainingTolerance < q.designedTolerance ? ` (designed for ${q.designedTolerance})` : '') +
    '.'
  );
}
