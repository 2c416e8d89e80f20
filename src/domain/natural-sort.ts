/**
 * Natural order for names people read: `lab-n2` before `lab-n10`, case
 * ignored (`Lab-n1` and `lab-n1` compare equal, so a stable sort keeps their
 * order). One collator for the process: building one per comparison is slow.
 */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

/** A comparator by a string key, e.g. `nodes.sort(byNatural((n) => n.hostname))`. */
export function byNatural<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => collator.compare(key(a), key(b));
}
