/**
 * The watch's state in the bot's table: a cluster's open incidents, its mutes
 * and what the last pass saw, all in its `WATCH#<cluster>` partition (layout
 * in dynamo-state.ts), read with one query per pass.
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { INCIDENT_KINDS, type IncidentStore, type WatchClusterState, type WatchIncident, type WatchMute, type WatchSnapshot } from '../../ports.js';
import { DAY_SECONDS, epochSeconds, issues, StateTable, type Item, type StateTableOptions } from './dynamo-table.js';
import { TTL_ATTRIBUTE } from './state-table.js';

export interface DynamoWatchStoreOptions extends StateTableOptions {
  /** how long a watch incident nobody touches stays (default 400 days): housekeeping for clusters no longer watched */
  watchKeepSeconds?: number;
}

const WATCH = 'WATCH';
const INCIDENT = 'INCIDENT';
const MUTE = 'MUTE';
const WATCH_STATE = 'STATE';

const ms = z.number().int().nonnegative();
const IncidentKindSchema = z.enum(INCIDENT_KINDS);

const WatchIncidentSchema = z.object({
  cluster: z.string().min(1),
  kind: IncidentKindSchema,
  subject: z.string().min(1),
  name: z.string(),
  role: z.enum(['manager', 'worker']).optional(),
  status: z.enum(['pending', 'open']),
  since: ms,
  openedAt: ms.optional(),
  clearSince: ms.optional(),
  flaps: z.number().int().nonnegative(),
  detail: z.string(),
  channel: z.string().optional(),
  ts: z.string().optional(),
  title: z.string().optional(),
  text: z.string().optional(),
  muted: z.boolean().optional(),
  noted: z.array(z.string()).optional(),
}) satisfies z.ZodType<WatchIncident>;

const WatchMuteSchema = z.object({
  cluster: z.string().min(1),
  target: z.string().min(1),
  kind: IncidentKindSchema.optional(),
  nodeId: z.string().optional(),
  until: ms,
  by: z.string(),
  at: ms,
}) satisfies z.ZodType<WatchMute>;

const WatchStateSchema = z.object({
  cluster: z.string().min(1),
  leader: z.object({ id: z.string(), hostname: z.string() }).optional(),
  leaderChangedAt: ms.optional(),
  certsCheckedAt: ms.optional(),
  rotationSince: ms.optional(),
  lastPassAt: ms.optional(),
}) satisfies z.ZodType<WatchClusterState>;

export class DynamoWatchStore extends StateTable implements IncidentStore {
  private readonly watchKeepSeconds: number;

  constructor(doc: DynamoDBDocumentClient, tableName: string, opts: DynamoWatchStoreOptions = {}) {
    super(doc, tableName, opts);
    this.watchKeepSeconds = opts.watchKeepSeconds ?? 400 * DAY_SECONDS;
  }

  async load(cluster: string): Promise<WatchSnapshot> {
    const now = this.clock.now().getTime();
    const nowSeconds = Math.floor(now / 1000);
    const snapshot: WatchSnapshot = { incidents: [], mutes: [] };
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${WATCH}#${cluster}` },
      ConsistentRead: true,
    });
    for (const item of items) {
      if (this.expired(item, nowSeconds)) continue;
      const sk = String(item['sk']);
      const [schema, value] = sk.startsWith(`${INCIDENT}#`)
        ? [WatchIncidentSchema, item['incident']]
        : sk.startsWith(`${MUTE}#`)
          ? [WatchMuteSchema, item['mute']]
          : [WatchStateSchema, item['state']];
      const parsed = schema.safeParse(value);
      if (!parsed.success) this.report(item, issues(parsed.error));
      else if (sk.startsWith(`${INCIDENT}#`)) snapshot.incidents.push(parsed.data as WatchIncident);
      else if (sk.startsWith(`${MUTE}#`)) {
        if ((parsed.data as WatchMute).until > now) snapshot.mutes.push(parsed.data as WatchMute);
      } else snapshot.state = parsed.data as WatchClusterState;
    }
    return snapshot;
  }

  async putIncident(incident: WatchIncident): Promise<void> {
    const i = WatchIncidentSchema.parse(incident);
    await this.putWatch(i.cluster, `${INCIDENT}#${i.kind}#${i.subject}`, { incident: i }, this.clock.now().getTime() + this.watchKeepSeconds * 1000);
  }

  async removeIncident(key: Pick<WatchIncident, 'cluster' | 'kind' | 'subject'>): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `${WATCH}#${key.cluster}`, sk: `${INCIDENT}#${key.kind}#${key.subject}` } }));
  }

  async putState(state: WatchClusterState): Promise<void> {
    const s = WatchStateSchema.parse(state);
    await this.putWatch(s.cluster, WATCH_STATE, { state: s }, this.clock.now().getTime() + this.watchKeepSeconds * 1000);
  }

  async putMute(mute: WatchMute): Promise<void> {
    const m = WatchMuteSchema.parse(mute);
    await this.putWatch(m.cluster, `${MUTE}#${m.target}`, { mute: m }, m.until + DAY_SECONDS * 1000);
  }

  async removeMute(cluster: string, target: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `${WATCH}#${cluster}`, sk: `${MUTE}#${target}` }, ReturnValues: 'ALL_OLD' }),
    );
    const old = WatchMuteSchema.safeParse(out.Attributes?.['mute']);
    return old.success && old.data.until > this.clock.now().getTime();
  }

  private async putWatch(cluster: string, sk: string, attributes: Item, expiresAtMs: number): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: `${WATCH}#${cluster}`, sk, ...attributes, [TTL_ATTRIBUTE]: epochSeconds(expiresAtMs) } }));
  }
}
