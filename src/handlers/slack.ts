import type { AwsEvent, AwsResponse } from '../app/slack-events.js';
import { composeIngress } from '../composition/ingress.js';

const slack = composeIngress();

export const handler = async (event: AwsEvent, context: unknown): Promise<AwsResponse> => slack(event, context);
