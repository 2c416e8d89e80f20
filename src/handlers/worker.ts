import type { Context } from 'aws-lambda';
import { composeWorker } from '../composition/worker-root.js';

const worker = composeWorker();

export const handler = async (event: unknown, context: Partial<Context>): Promise<void> =>
  worker(event, typeof context?.getRemainingTimeInMillis === 'function' ? { remainingMs: () => context.getRemainingTimeInMillis!(), lambdaContext: context } : {});
