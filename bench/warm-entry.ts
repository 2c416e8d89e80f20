/**
 * The warm-acknowledgement bench's entry: the real `slack` handler
 * (createSlackHandler, Powertools logger) with the network taken out: the
 * secrets and the policy already in memory, as they are after the first
 * request of a warm function, and a queue that only counts. Bundled like the
 * packaged function.
 */
import { powertoolsLog } from '../src/adapters/aws/powertools-log.js';
import { createSlackHandler } from '../src/app/ingress.js';
import { parsePolicy } from '../src/config/policy.js';

const policy = parsePolicy(process.env.BENCH_POLICY ?? '');
const secrets = { signingSecret: process.env.SLACK_SIGNING_SECRET ?? '', botToken: 'xoxb-bench', botUserId: 'U0BENCH' };
export let handedOn = 0;

export const handler = createSlackHandler({
  secrets: async () => secrets,
  policies: { policy: async () => policy },
  queue: {
    enqueue: async () => {
      handedOn++;
    },
  },
  log: powertoolsLog('slack'),
  clock: { now: () => new Date() },
});
