import type { AwsEvent, AwsResponse } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { composeIngress } from '../composition/slack-root.js';

const slack = composeIngress();

export const handler = async (event: AwsEvent, context: unknown): Promise<AwsResponse> => slack(event, context);
