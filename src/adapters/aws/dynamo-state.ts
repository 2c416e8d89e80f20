import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { AuditEventSchema, type AuditEvent } from '../../jobs.js';
import type { AuditHistory, AuditQuery, Claims, Counters, PendingApproval, PendingApprovals } from '../../ports.js';
import { DAY_SECONDS, epochSeconds, issues, StateTable, type StateTableOptions } from './dynamo-table.js';
import { GSI1, TTL_ATTRIBUTE } from './state-table.js';

export { createStateClient, type MalformedItem } from './dynamo-table.js';

export interface DynamoStateOptions extends StateTableOptions {
  /** how long a claim holds when the caller gives no `ttlSeconds` (default 7 days: long past any retry) */
  claimTtlSeconds?: number;
  /** how long a pending approval stays in the table after its expiry, for a late sweep (default 7 days) */
  pendingKeepSeconds?: number;
}

/** width of a zero-padded expiry in ms: lexicographic order is numeric order up to year 33658 */
const EXP_WIDTH = 15;
const MAX_EXP = 10 ** EXP_WIDTH - 1;
/** day partitions queried at once by `query`: a week's window in one round */
const DAYS_IN_PARALLEL = 8;
/** the oldest day partition `query` reaches back to, whatever `since` says: a bound on its cost */
const MAX_AUDIT_DAYS = 3660;

const PENDING = 'PENDING';
const CLAIM = 'CLAIM';
const AUDIT = 'AUDIT';

const PendingApprovalSchema = z.object({
  id: z.string().min(1),
  cluster: z.string(),
  channel: z.string(),
  ts: z.string(),
  exp: z.number().int().nonnegative().max(MAX_EXP),
  text: z.string(),
  requester: z.string(),
});

const padExp = (ms: number) => String(ms).padStart(EXP_WIDTH, '0');
/** UTC day of an instant, the audit history's partition */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The bot's state in one DynamoDB table (see infra/state-table.json); the
 * watch's items are DynamoWatchStore's (dynamo-watch.ts). Item layout:
 *
 * | what | pk | sk | gsi1pk / gsi1sk | other attributes |
 * |---|---|---|---|---|
 * | claim | `CLAIM#<key>` | `CLAIM` | – | owner, note, at, expiresAt |
 * | pending approval | `PENDING#<id>` | `PENDING` | `PENDING` / `<exp ms, 15 digits>#<id>` | approval (the PendingApproval), expiresAt |
 * | audit event | `AUDIT#<yyyy-mm-dd>` (UTC day of `at`) | `<at, ISO ms>#<requestId>#<outcome>` | – | event (the AuditEvent), expiresAt |
 * | idempotency record (Powertools) | `IDEMPOTENCY` | `<function>#<hash>` | – | Powertools' own, expiresAt |
 * | watch incident | `WATCH#<cluster>` | `INCIDENT#<kind>#<subject>` | – | incident (the WatchIncident), expiresAt |
 * | watch mute | `WATCH#<cluster>` | `MUTE#<target>` | – | mute (the WatchMute), expiresAt (the mute's end + 1 day) |
 * | watch state of a cluster | `WATCH#<cluster>` | `STATE` | – | state (leader, when it changed, certificates checked, rotation seen), expiresAt |
 * | open rollout (the watch carries it on) | `ROLLOUT` | `<cluster>#<serviceId>` | – | rollout (the OpenRollout), expiresAt (started + 7 days) |
 *
 * `expiresAt` (epoch seconds) is the table's TTL attribute; DynamoDB deletes
 * lazily, so every read treats an item past it as absent. No operation scans:
 * claims and `forget` address one key, `due` queries the sparse GSI, the
 * audit history queries day partitions newest first, and the watch reads a
 * cluster's incidents, mutes and state with one query on its partition. An
 * incident's subject (a node ID, an endpoint, `-`) and a mute's target (a
 * kind or a hostname) are part of the sort key: one item each per cluster.
 */
export class DynamoState extends StateTable implements Claims, PendingApprovals, AuditHistory, Counters {
  private readonly claimTtlSeconds: number;
  private readonly pendingKeepSeconds: number;

  constructor(doc: DynamoDBDocumentClient, tableName: string, opts: DynamoStateOptions = {}) {
    super(doc, tableName, opts);
    this.claimTtlSeconds = opts.claimTtlSeconds ?? 7 * DAY_SECONDS;
    this.pendingKeepSeconds = opts.pendingKeepSeconds ?? 7 * DAY_SECONDS;
  }

  // ---- claims ----------------------------------------------------------------

  async claim(key: string, owner: string, opts: { ttlSeconds?: number; note?: string } = {}): Promise<boolean> {
    const now = this.clock.now().getTime();
    const ttlSeconds = opts.ttlSeconds ?? this.claimTtlSeconds;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `${CLAIM}#${key}`,
            sk: CLAIM,
            owner,
            note: opts.note?.slice(0, 1000),
            at: new Date(now).toISOString(),
            [TTL_ATTRIBUTE]: epochSeconds(now + ttlSeconds * 1000),
          },
          // free, ours already (a retried write of our own), or past its expiry (TTL deletes late)
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner OR #exp <= :now',
          ExpressionAttributeNames: { '#owner': 'owner', '#exp': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':owner': owner, ':now': Math.floor(now / 1000) },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const now = this.clock.now().getTime();
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `COUNT#${key}`, sk: 'COUNT' },
        UpdateExpression: 'ADD #n :one SET #exp = if_not_exists(#exp, :exp)',
        ExpressionAttributeNames: { '#n': 'n', '#exp': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1, ':exp': epochSeconds(now + ttlSeconds * 1000) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.['n'] ?? 1);
  }

  async holder(key: string): Promise<{ owner: string; note?: string } | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: `${CLAIM}#${key}`, sk: CLAIM }, ConsistentRead: true }));
    const item = out.Item;
    if (!item || this.expired(item, Math.floor(this.clock.now().getTime() / 1000))) return undefined;
    return { owner: String(item['owner']), ...(typeof item['note'] === 'string' ? { note: item['note'] } : {}) };
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `${CLAIM}#${key}`, sk: CLAIM },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (err) {
      // someone else's (or gone already): not ours to give up
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  // ---- pending approvals -----------------------------------------------------

  async record(p: PendingApproval): Promise<void> {
    const approval = PendingApprovalSchema.parse(p);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${PENDING}#${approval.id}`,
          sk: PENDING,
          [GSI1.pk]: PENDING,
          [GSI1.sk]: `${padExp(approval.exp)}#${approval.id}`,
          approval,
          [TTL_ATTRIBUTE]: epochSeconds(approval.exp) + this.pendingKeepSeconds,
        },
      }),
    );
  }

  async due(now: Date): Promise<PendingApproval[]> {
    // every key with a padded expiry at or before now sorts below the padded next millisecond
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: GSI1.name,
      KeyConditionExpression: '#gpk = :pending AND #gsk < :bound',
      ExpressionAttributeNames: { '#gpk': GSI1.pk, '#gsk': GSI1.sk },
      ExpressionAttributeValues: { ':pending': PENDING, ':bound': padExp(now.getTime() + 1) },
    });
    const nowSeconds = Math.floor(now.getTime() / 1000);
    return items.flatMap((item) => {
      if (this.expired(item, nowSeconds)) return [];
      const parsed = PendingApprovalSchema.safeParse(item['approval']);
      if (!parsed.success) {
        this.report(item, issues(parsed.error));
        return [];
      }
      return [parsed.data];
    });
  }

  async forget(id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `${PENDING}#${id}`, sk: PENDING } }));
  }

  // ---- audit history ---------------------------------------------------------

  async append(event: AuditEvent, retentionDays: number): Promise<void> {
    const at = new Date(event.at);
    if (Number.isNaN(at.getTime())) throw new RangeError(`audit event time is not a date: ${event.at}`);
    const iso = at.toISOString();
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${AUDIT}#${dayOf(at.getTime())}`,
          // the same event appended twice (a retry) lands on the same item
          sk: `${iso}#${event.requestId}#${event.outcome}`,
          event,
          [TTL_ATTRIBUTE]: epochSeconds(this.clock.now().getTime() + retentionDays * DAY_SECONDS * 1000),
        },
      }),
    );
  }

  async query(q: AuditQuery): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    if (q.limit <= 0) return out;
    const now = this.clock.now().getTime();
    const since = q.since.getTime();
    const days: string[] = [];
    // today's partition back to the one holding `since`, newest first
    for (let t = now; dayOf(t) >= dayOf(since) && days.length < MAX_AUDIT_DAYS; t -= DAY_SECONDS * 1000) days.push(dayOf(t));
    for (let i = 0; i < days.length && out.length < q.limit; i += DAYS_IN_PARALLEL) {
      const want = q.limit - out.length;
      const found = await Promise.all(days.slice(i, i + DAYS_IN_PARALLEL).map((day) => this.auditDay(day, q, want, now)));
      for (const events of found) out.push(...events);
    }
    return out.slice(0, q.limit);
  }

  /** Up to `want` events of one day partition at or after `q.since`, newest first. */
  private async auditDay(day: string, q: AuditQuery, want: number, now: number): Promise<AuditEvent[]> {
    const names: Record<string, string> = { '#sk': 'sk' };
    const values: Record<string, unknown> = { ':pk': `${AUDIT}#${day}`, ':since': q.since.toISOString() };
    const filters: string[] = [];
    for (const field of ['cluster', 'user'] as const) {
      if (q[field] === undefined) continue;
      names['#event'] = 'event';
      names[`#${field}`] = field;
      values[`:${field}`] = q[field];
      filters.push(`#event.#${field} = :${field}`);
    }
    const nowSeconds = Math.floor(now / 1000);
    const events: AuditEvent[] = [];
    await this.queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND #sk >= :since',
        FilterExpression: filters.length ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        // unfiltered, a page of exactly what is wanted; filtered, DynamoDB's own page size
        Limit: filters.length ? undefined : want,
      },
      (item) => {
        if (this.expired(item, nowSeconds)) return true;
        const parsed = AuditEventSchema.safeParse(item['event']);
        if (!parsed.success) this.report(item, issues(parsed.error));
        else events.push(parsed.data);
        return events.length < want;
      },
    );
    return events;
  }
}
