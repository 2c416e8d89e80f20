/**
 * Open rollouts in the bot's table: one small `ROLLOUT` partition, so that
 * one query finds every rollout the worker handed to the watch, whatever
 * its cluster (layout in dynamo-state.ts). Kept a week at most.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { OpenRollout, RolloutStore } from '../../ports.js';
import { DAY_SECONDS, epochSeconds, issues, StateTable } from './dynamo-table.js';
import { TTL_ATTRIBUTE } from './state-table.js';

const ROLLOUT = 'ROLLOUT';
const KEEP_MS = 7 * DAY_SECONDS * 1000;

const OpenRolloutSchema = z.object({
  cluster: z.string().min(1),
  serviceId: z.string().min(1),
  serviceName: z.string(),
  op: z.enum(['scale', 'restart', 'image', 'rollback']),
  what: z.string(),
  requestId: z.string(),
  requester: z.string(),
  channel: z.string().min(1),
  ts: z.string().min(1),
  title: z.string(),
  startedAt: z.number().int().nonnegative(),
  lastText: z.string().optional(),
}) satisfies z.ZodType<OpenRollout>;

export class DynamoRolloutStore extends StateTable implements RolloutStore {
  async open(): Promise<OpenRollout[]> {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': ROLLOUT }, ConsistentRead: true });
    const out: OpenRollout[] = [];
    for (const item of items) {
      if (this.expired(item, nowSeconds)) continue;
      const parsed = OpenRolloutSchema.safeParse(item['rollout']);
      if (parsed.success) out.push(parsed.data);
      else this.report(item, issues(parsed.error));
    }
    return out;
  }

  async put(r: OpenRollout): Promise<void> {
    const rollout = OpenRolloutSchema.parse(r);
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: ROLLOUT, sk: `${r.cluster}#${r.serviceId}`, rollout, [TTL_ATTRIBUTE]: epochSeconds(r.startedAt + KEEP_MS) } }));
  }

  async close(cluster: string, serviceId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: ROLLOUT, sk: `${cluster}#${serviceId}` } }));
  }
}
