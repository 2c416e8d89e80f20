/** "Did you mean": the closest of the names a user could have meant. */

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * Every candidate close enough that is as close as the closest, in the order
 * given: by edit distance, then by length (`nodez`: `nodes` before `node`);
 * `lab-n9` is as close to lab-n1 as to lab-n5, so all five.
 */
export function closest(input: string, candidates: readonly string[]): string[] {
  const near = candidates
    .map((c) => ({ c, d: c.startsWith(input) && input.length >= 2 ? 0 : levenshtein(input, c), l: Math.abs(c.length - input.length) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)));
  const best = Math.min(...near.map((n) => n.d));
  const shortest = Math.min(...near.filter((n) => n.d === best).map((n) => n.l));
  return near.filter((n) => n.d === best && n.l === shortest).map((n) => n.c);
}

/** The one closest name, or nothing when several are equally close: an arbitrary pick among them would mislead. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const hits = closest(input, candidates);
  return hits.length === 1 ? hits[0] : undefined;
}
