/** "Did you mean": the closest of the names a user could have meant. */

/** Edit distance where swapping two neighbouring letters (`stauts`) counts as one edit, as people mistype. */
export function levenshtein(a: string, b: string): number {
  // optimal string alignment: three rows, the one before last for transpositions
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
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
