/**
 * How many refusals of one user the ingress hands to the worker (as audit
 * jobs: a worker run, an audit-channel post, an item kept for the audit's
 * retention): a token bucket per user, in the warm container's memory.
 *
 * In memory rather than in the state table: the ingress has no table access
 * (its role reads the Slack secrets and the policy, and invokes the worker),
 * and a table write per refusal would cost the acknowledgement time and the
 * flood a write each. The bound is per container: N warm ingress containers
 * let N times the burst through, and the HTTP API's throttle (stage params)
 * bounds N. Refusals over the bound are still logged and still answered.
 */
export interface RefusalBudget {
  /** true when this refusal of `user` may be handed on; false when the user is over the bound */
  take(user: string, nowMs: number): boolean;
}

export interface RefusalBudgetOptions {
  /** refusals handed on at once, per user */
  burst?: number;
  /** one more every this many ms */
  refillMs?: number;
  /** users remembered; when full, the ones whose bucket is full again are forgotten first, then all */
  maxUsers?: number;
}

export function refusalBudget(o: RefusalBudgetOptions = {}): RefusalBudget {
  const burst = o.burst ?? 5;
  const refillMs = o.refillMs ?? 12_000;
  const maxUsers = o.maxUsers ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const level = (b: { tokens: number; at: number }, now: number) => Math.min(burst, b.tokens + Math.max(0, now - b.at) / refillMs);
  return {
    take(user, now) {
      const b = buckets.get(user) ?? { tokens: burst, at: now };
      const tokens = level(b, now);
      if (!buckets.has(user) && buckets.size >= maxUsers) {
        for (const [u, other] of buckets) if (level(other, now) >= burst) buckets.delete(u);
        if (buckets.size >= maxUsers) buckets.clear();
      }
      if (tokens < 1) {
        buckets.set(user, { tokens, at: now });
        return false;
      }
      buckets.set(user, { tokens: tokens - 1, at: now });
      return true;
    },
  };
}
