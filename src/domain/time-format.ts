/** How times and spans read in every message: clock times in UTC ("14:05 UTC"), spans in the largest fitting unit. */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** "14:05 UTC", from a Date or epoch milliseconds */
export const hhmm = (t: Date | number) => `${new Date(t).toISOString().slice(11, 16)} UTC`;

/** "4 min", "3 h 10 min", "2 days" */
export function span(ms: number): string {
  const min = Math.max(1, Math.round(ms / MINUTE_MS));
  if (min < 120) return `${min} min`;
  if (ms < 2 * DAY_MS) return `${Math.floor(min / 60)} h ${min % 60} min`;
  return `${Math.floor(ms / DAY_MS)} days`;
}
