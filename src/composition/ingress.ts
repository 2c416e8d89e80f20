import { AwsLite } from '../adapters/aws-lite.js';
import { LambdaEventQueue, SsmSlackParameters } from '../adapters/ingress-aws.js';
import { powertoolsLog } from '../adapters/powertools-log.js';
import { createSlackHandler, type SlackHandler } from '../app/ingress.js';
import { parseEnv } from '../config/env.js';

/** The `slack` function's wiring: SSM and Lambda only, without the AWS SDK; no Docker, no renderers. */
export function composeIngress(env: NodeJS.ProcessEnv = process.env): SlackHandler {
  const config = parseEnv(env, ['SSM_PREFIX', 'WORKER_FUNCTION_NAME']);
  // The acknowledgement has 3 s in all, for at most an SSM read and an invoke: short limits, and one retry
  // (a kept-alive socket the far end already closed fails at once and must be retried, not reported)
  const quick = { env, timeoutMs: 800, attempts: 2 };
  const log = powertoolsLog('slack');
  const params = new SsmSlackParameters(new AwsLite({ service: 'ssm', ...quick }), config.SSM_PREFIX);
  return createSlackHandler({
    secrets: () => params.slackSecrets(),
    policies: params,
    queue: new LambdaEventQueue(new AwsLite({ service: 'lambda', ...quick }), config.WORKER_FUNCTION_NAME!),
    log,
    clock: { now: () => new Date() },
  });
}
