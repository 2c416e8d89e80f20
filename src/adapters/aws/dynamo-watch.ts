/**
 * The watch's state in the bot's table: a cluster's open incidents, its mutes,
 * what the last pass saw, each service's last spec (`SERVICE#<id>`) and the
 * changes swarm-ops noted it is making (`OWN#<serviceId>`), all in its
 * `WATCH#<cluster>` partition (layout in dynamo-state.ts), read with one
 * query per pass.
 */
import { BatchWriteCommand, DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  INCIDENT_KINDS,
  type IncidentStore,
  type WatchClusterState,
  type WatchIncident,
  type WatchMute,
  type WatchOwnChange,
  type WatchServiceRecord,
  type WatchSnapshot,
} from '../../ports.js';
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
const SERVICE = 'SERVICE';
const OWN = 'OWN';
/** DynamoDB's most items in one BatchWriteItem */
const BATCH = 25;

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
  serviceId: z.string().optional(),
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
  servicesSeenAt: ms.optional(),
}) satisfies z.ZodType<WatchClusterState>;

const WatchServiceSchema = z.object({
  cluster: z.string().min(1),
  id: z.string().min(1),
  name: z.string(),
  fingerprint: z.string(),
  image: z.string(),
  replicas: z.number().int().nonnegative().optional(),
  mode: z.string(),
  envNames: z.array(z.string()),
  ports: z.array(z.string()),
  constraints: z.array(z.string()),
  forceUpdate: z.number().int(),
  seenAt: ms,
}) satisfies z.ZodType<WatchServiceRecord>;

const WatchOwnChangeSchema = z.object({
  cluster: z.string().min(1),
  serviceId: z.string().min(1),
  requestId: z.string(),
  at: ms,
  until: ms,
}) satisfies z.ZodType<WatchOwnChange>;

export class DynamoWatchStore extends StateTable implements IncidentStore {
  private readonly watchKeepSeconds: number;

  constructor(doc: DynamoDBDocumentClient, tableName: string, opts: DynamoWatchStoreOptions = {}) {
    super(doc, tableName, opts);
    this.watchKeepSeconds = opts.watchKeepSeconds ?? 400 * DAY_SECONDS;
  }

  async load(cluster: string): Promise<WatchSnapshot> {
    const now = this.clock.now().getTime();
    const nowSeconds = Math.floor(now / 1000);
    const snapshot: WatchSnapshot = { incidents: [], mutes: [], services: [], ownChanges: [] };
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${WATCH}#${cluster}` },
      ConsistentRead: true,
    });
    for (const item of items) {
      if (this.expired(item, nowSeconds)) continue;
      const sk = String(item['sk']);
      // each item type has its own sk prefix; the state item is the only one without
      if (sk.startsWith(`${INCIDENT}#`)) this.take(item, WatchIncidentSchema, item['incident'], (i) => snapshot.incidents.push(i));
      else if (sk.startsWith(`${MUTE}#`)) this.take(item, WatchMuteSchema, item['mute'], (m) => m.until > now && snapshot.mutes.push(m));
      else if (sk.startsWith(`${SERVICE}#`)) this.take(item, WatchServiceSchema, item['service'], (r) => snapshot.services.push(r));
      else if (sk.startsWith(`${OWN}#`)) this.take(item, WatchOwnChangeSchema, item['own'], (o) => o.until > now && snapshot.ownChanges.push(o));
      else this.take(item, WatchStateSchema, item['state'], (st) => (snapshot.state = st));
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

  async putServices(records: WatchServiceRecord[]): Promise<void> {
    const expires = epochSeconds(this.clock.now().getTime() + this.watchKeepSeconds * 1000);
    const requests = records.map((r) => {
      const service = WatchServiceSchema.parse(r);
      return { PutRequest: { Item: { pk: `${WATCH}#${service.cluster}`, sk: `${SERVICE}#${service.id}`, service, [TTL_ATTRIBUTE]: expires } } };
    });
    await this.batch(requests);
  }

  async removeServices(cluster: string, ids: string[]): Promise<void> {
    await this.batch(ids.map((id) => ({ DeleteRequest: { Key: { pk: `${WATCH}#${cluster}`, sk: `${SERVICE}#${id}` } } })));
  }

  async noteOwnChange(change: WatchOwnChange): Promise<void> {
    const own = WatchOwnChangeSchema.parse(change);
    await this.putWatch(own.cluster, `${OWN}#${own.serviceId}`, { own }, own.until);
  }

  async ownChanges(cluster: string): Promise<WatchOwnChange[]> {
    const now = this.clock.now().getTime();
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :own)',
      ExpressionAttributeValues: { ':pk': `${WATCH}#${cluster}`, ':own': `${OWN}#` },
      ConsistentRead: true,
    });
    const out: WatchOwnChange[] = [];
    for (const item of items) this.take(item, WatchOwnChangeSchema, item['own'], (o) => o.until > now && out.push(o));
    return out;
  }

  async forgetOwnChange(cluster: string, serviceId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `${WATCH}#${cluster}`, sk: `${OWN}#${serviceId}` } }));
  }

  /** BatchWriteItem, 25 at a time, sending again what DynamoDB left unprocessed */
  private async batch(requests: Array<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH) {
      let pending: Array<Record<string, unknown>> = requests.slice(i, i + BATCH);
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        if (attempt > 8) throw new Error(`the state table left ${pending.length} writes unprocessed`);
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } }));
        pending = (out.UnprocessedItems?.[this.tableName] ?? []) as Array<Record<string, unknown>>;
      }
    }
  }

  private take<T>(item: Item, schema: z.ZodType<T>, value: unknown, use: (v: T) => unknown): void {
    const parsed = schema.safeParse(value);
    if (parsed.success) use(parsed.data);
    else this.report(item, issues(parsed.error));
  }

  private async putWatch(cluster: string, sk: string, attributes: Item, expiresAtMs: number): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: `${WATCH}#${cluster}`, sk, ...attributes, [TTL_ATTRIBUTE]: epochSeconds(expiresAtMs) } }));
  }
}
