import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { boltLogger, powertoolsLog } from '../adapters/aws/powertools-log.js';
import { LambdaQueue } from '../adapters/aws/lambda-queue.js';
import { SsmParameters } from '../adapters/aws/ssm-parameters.js';
import { createSlackHandler, type SlackHandler } from '../app/ingress.js';
import { parseEnv } from '../config/env.js';

/** The `slack` function's wiring: SSM and Lambda only; no Docker, no renderers. */
export function composeIngress(env: NodeJS.ProcessEnv = process.env): SlackHandler {
  const config = parseEnv(env, ['SSM_PREFIX', 'WORKER_FUNCTION_NAME']);
  // The acknowledgement has 3 s in all, for at most an SSM read and an invoke: short limits, and one retry
  // (a kept-alive socket the far end already closed fails at once and must be retried, not reported)
  const quick = { maxAttempts: 2, requestHandler: { connectionTimeout: 300, requestTimeout: 800 } };
  const log = powertoolsLog('slack');
  const params = new SsmParameters(new SSMClient(quick), config.SSM_PREFIX, { staleOnError: true });
  return createSlackHandler({
    secrets: () => params.slackSecrets(),
    policies: params,
    queue: new LambdaQueue(new LambdaClient(quick), config.WORKER_FUNCTION_NAME!),
    log,
    boltLogger: boltLogger(log),
    clock: { now: () => new Date() },
  });
}
export type { AwsEvent, AwsResponse } from '../app/slack-events.js';
