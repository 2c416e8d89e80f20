import { App, AwsLambdaReceiver } from '@slack/bolt';
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET! });
const app = new App({ receiver, token: process.env.SLACK_BOT_TOKEN, authorize: async () => ({ botToken: 'xoxb', botUserId: 'U0' }) });
app.command(/^\/swarm/, async ({ ack }) => { await ack({ response_type: 'ephemeral', text: 'ok' }); });
const h = receiver.toHandler();
export const handler = (e: any, c: any) => h(e, c, () => {});
