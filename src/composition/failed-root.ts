import { SSMClient } from '@aws-sdk/client-ssm';
import { powertoolsLog } from '../adapters/aws/powertools-log.js';
import { SsmParameters } from '../adapters/aws/ssm-parameters.js';
import { SlackChat } from '../adapters/slack/slack-chat.js';
import { createFailureNotice, type FailureNotice } from '../app/failure-notice.js';
import { parseEnv } from '../config/env.js';
import type { ChatPort } from '../ports.js';

/** The `failed` function's wiring (the worker's on-failure destination): SSM and Slack only; no Docker, no table. */
export function composeFailureNotice(env: NodeJS.ProcessEnv = process.env): FailureNotice {
  const config = parseEnv(env, ['SSM_PREFIX']);
  const params = new SsmParameters(new SSMClient({}), config.SSM_PREFIX);
  // Slack with the bot token, read (with the signing secret and the policy, in one call) on first use
  let slack: Promise<SlackChat> | undefined;
  const get = () =>
    (slack ??= params
      .slackSecrets()
      .then((s) => new SlackChat(s.botToken, { ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}), responseUrlPrefixes: config.SLACK_RESPONSE_URL_PREFIXES }))
      .catch((e) => ((slack = undefined), Promise.reject(e))));
  const chat: ChatPort = {
    respond: async (url, r, o) => (await get()).respond(url, r, o),
    post: async (c, r, o) => (await get()).post(c, r, o),
    update: async (c, ts, r) => (await get()).update(c, ts, r),
    upload: async (c, f, o) => (await get()).upload(c, f, o),
  };
  return createFailureNotice({ secrets: () => params.slackSecrets(), policies: params, chat, log: powertoolsLog('failed'), clock: { now: () => new Date() } });
}
