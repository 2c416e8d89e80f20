/**
 * The cold-acknowledgement baseline: the smallest Bolt app that answers a
 * slash command on Lambda, as Bolt's own AwsLambdaReceiver example writes it
 * (signing secret from the environment, the listener only acks). Bundled
 * with the same esbuild settings and plugins as the packaged functions.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';

const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '' });
const app = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-bare', botUserId: 'U0BARE' }) });

app.command(/^\/swarm(-[a-z0-9-]+)?$/, async ({ ack }) => {
  await ack({ response_type: 'ephemeral', text: 'Working on it…' });
});

export const handler = receiver.toHandler();
