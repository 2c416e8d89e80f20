import { composeIngress, type AwsEvent, type AwsResponse } from '../composition/slack-root.js';

const slack = composeIngress();

export const handler = async (event: AwsEvent, context: unknown): Promise<AwsResponse> => slack(event, context);
