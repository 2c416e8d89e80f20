import type { Context } from 'aws-lambda';
import { composeWatch } from '../composition/watch-root.js';

const watch = composeWatch();

export const handler = async (event: unknown, context: Partial<Context>) =>
  watch(event, typeof context?.getRemainingTimeInMillis === 'function' ? { remainingMs: () => context.getRemainingTimeInMillis!() } : {});
