/**
 * One way for every write to the swarm to end in a known state. A write that
 * timed out after it was sent (SwarmError UNCERTAIN) may have been committed
 * by Raft, and one refused as "update out of sequence" raced another change:
 * both are settled by reading back, never by sending blindly again.
 */
import { SwarmError } from '../../errors.js';
import { isOutOfSequence, statusOf } from './docker-errors.js';
import type { DockerTransport } from './docker-transport.js';
import type { DialRequest } from './docker-endpoint.js';

export type Outcome<W> = { done: true; value: W } | { done: false };
export const done = <W>(value: W): Outcome<W> => ({ done: true, value });
export const notDone: Outcome<never> = { done: false };

export interface SettleWrite<W> {
  write: () => Promise<W>;
  /**
   * Whether the write is in place, and its result when it is. It is also where
   * a write that will be sent again picks up fresh state (e.g. a new version).
   */
  readBack: () => Promise<Outcome<W>>;
  /** how often the write may be sent in all; 1 (the default) never sends it again */
  attempts?: number;
  /** what to throw for Docker's own refusal (the default throws Docker's error as it is) */
  onRefused?: (err: unknown) => unknown;
}

export const isUncertain = (err: unknown) => err instanceof SwarmError && err.code === 'UNCERTAIN';

/**
 * Sends `write`; when its outcome is uncertain or it was out of sequence,
 * reads back: done is success (nothing is sent again), not done sends it
 * again while attempts remain. When nothing settles it, the first kind of
 * error stays: an uncertain write surfaces as UNCERTAIN, a refusal mapped.
 */
export async function settleWrite<W>(o: SettleWrite<W>): Promise<W> {
  const attempts = o.attempts ?? 1;
  // our own errors (no leader, TLS, uncertain …) already say what happened
  const surfaced = (err: unknown) => (err instanceof SwarmError ? err : (o.onRefused?.(err) ?? err));
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.write();
    } catch (err) {
      if (!isUncertain(err) && !isOutOfSequence(err)) throw surfaced(err);
      let outcome: Outcome<W>;
      try {
        outcome = await o.readBack();
      } catch {
        throw surfaced(err);
      }
      if (outcome.done) return outcome.value;
      if (attempt >= attempts) throw surfaced(err);
    }
  }
}

/**
 * DELETE `path` on a manager. After an uncertain delete the object is read
 * back: only a 404 counts as gone. `missingIsDone`: a 404 to the delete
 * itself is success (someone, or a lost answer of ours, removed it first).
 */
export function removeSettled(
  t: DockerTransport,
  path: string,
  opts: { missingIsDone: boolean; onRefused?: (err: unknown) => unknown; query?: DialRequest['query'] },
): Promise<void> {
  return settleWrite<void>({
    write: () =>
      t.call((s) => s.delete<unknown>(path, opts.query), { write: true }).then(
        () => undefined,
        (err) => {
          if (opts.missingIsDone && statusOf(err) === 404) return;
          throw err;
        },
      ),
    readBack: () =>
      t.call((s) => s.get<unknown>(path)).then(
        () => notDone,
        (err) => {
          if (statusOf(err) === 404) return done(undefined);
          throw err;
        },
      ),
    ...(opts.onRefused ? { onRefused: opts.onRefused } : {}),
  });
}
