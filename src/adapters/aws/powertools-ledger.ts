import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { JobLedger } from '../../ports.js';

/**
 * Jobs act once, through Powertools Idempotency: the first delivery records
 * "in progress" with a conditional write, then "completed"; a repeated
 * delivery finds the record and does nothing. A job that failed with an
 * exception is not recorded, so it may be tried again.
 */
export class PowertoolsLedger implements JobLedger {
  constructor(
    private readonly persistenceStore: BasePersistenceLayer,
    /** how long a finished job is remembered: longer than any redelivery (Lambda retries within 6 h) */
    private readonly rememberSeconds = 24 * 3600,
  ) {}

  async once(key: string, work: () => Promise<void>, invocation: { lambdaContext?: unknown } = {}): Promise<'ran' | 'repeat' | 'in-progress'> {
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: this.rememberSeconds, throwOnNoIdempotencyKey: true });
    // knowing the time left lets an in-progress record expire with the invocation that wrote it
    if (invocation.lambdaContext) config.registerLambdaContext(invocation.lambdaContext as Context);
    let ran = false;
    const idempotent = makeIdempotent(
      async (_event: { key: string }) => {
        ran = true;
        await work();
        return { done: true };
      },
      { persistenceStore: this.persistenceStore, config },
    );
    try {
      await idempotent({ key });
    } catch (err) {
      if (err instanceof IdempotencyAlreadyInProgressError) return 'in-progress';
      throw err;
    }
    return ran ? 'ran' : 'repeat';
  }
}
