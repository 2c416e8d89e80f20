/**
 * The state table against an in-process dynalite with the real SDK: the same
 * keys and index as the deployed table (both read infra/state-table.json).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createStateClient, DynamoState, type DynamoStateOptions } from '../../../src/adapters/aws/dynamo-state.js';
import { createTableInput, GSI1, IDEMPOTENCY_ATTRIBUTES, KEY, tableDefinition, TTL_ATTRIBUTE } from '../../../src/adapters/aws/state-table.js';
import type { AuditEvent } from '../../../src/jobs.js';
import type { PendingApproval } from '../../../src/ports.js';
import { clockAt, localStateTable, unique } from '../../support/dynamo.js';

const TABLE = 'swarm-ops-test-state';
const table = localStateTable(TABLE, (doc, name, opts: DynamoStateOptions) => new DynamoState(doc, name, opts));
const state = (opts?: DynamoStateOptions) => table.store(opts);

describe('the table definition (infra/state-table.json, one source for serverless.yml and the code)', () => {
  it('has the keys, the index and the TTL attribute the code uses', () => {
    const d = tableDefinition();
    expect(d.KeySchema).toEqual([
      { AttributeName: KEY.pk, KeyType: 'HASH' },
      { AttributeName: KEY.sk, KeyType: 'RANGE' },
    ]);
    expect(d.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: GSI1.name,
        KeySchema: [
          { AttributeName: GSI1.pk, KeyType: 'HASH' },
          { AttributeName: GSI1.sk, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(d.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(d.BillingMode).toBe('PAY_PER_REQUEST');
    expect(d.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled).toBe(true);
    // every key attribute is defined, and nothing else (DynamoDB refuses unused definitions)
    const keys = [...d.KeySchema, ...d.GlobalSecondaryIndexes.flatMap((g) => g.KeySchema)].map((k) => k.AttributeName);
    expect(d.AttributeDefinitions.map((a) => a.AttributeName).sort()).toEqual([...new Set(keys)].sort());
  });

  it('becomes a CreateTable request for dynalite without what dynalite does not implement', () => {
    const input = createTableInput('t-name');
    expect(input.TableName).toBe('t-name');
    expect(Object.keys(input).sort()).toEqual(['AttributeDefinitions', 'BillingMode', 'GlobalSecondaryIndexes', 'KeySchema', 'TableName']);
    // a copy each time: a caller changing it cannot change the next one
    input.KeySchema!.pop();
    expect(createTableInput('t-name').KeySchema).toHaveLength(2);
  });

  it('is reached through AWS_ENDPOINT_URL_DYNAMODB when the client is given no endpoint', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', table.local.endpoint);
    try {
      const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const Key = { pk: { S: 'ENV#probe' }, sk: { S: 'ENV' } };
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...Key, v: { S: 'through the env' } } }));
      const got = await createStateClient(table.local.clientConfig).send(new GetCommand({ TableName: TABLE, Key: { pk: 'ENV#probe', sk: 'ENV' } }));
      expect(got.Item?.['v']).toBe('through the env');
      expect((await client.send(new GetItemCommand({ TableName: TABLE, Key }))).Item?.['v']).toEqual({ S: 'through the env' });
      client.destroy();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('DynamoState as Claims', () => {
  it('lets exactly one of several concurrent claimants with different owners win', async () => {
    const { s } = state();
    for (let round = 0; round < 5; round++) {
      const key = unique('decision');
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => s.claim(key, `${owner}-${round}`, { ttlSeconds: 60 })));
      expect(results.filter(Boolean)).toHaveLength(1);
    }
  });

  it('counts a re-claim by the same owner (our own retried write) as ours, and refuses another owner', async () => {
    const { s } = state();
    const key = unique('tick');
    expect(await s.claim(key, 'req-1', { note: 'rotate prod' })).toBe(true);
    expect(await s.claim(key, 'req-1', { note: 'rotate prod' })).toBe(true);
    expect(await s.claim(key, 'req-2')).toBe(false);
    const item = (await table.doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `CLAIM#${key}`, sk: 'CLAIM' } }))).Item!;
    expect(item).toMatchObject({ owner: 'req-1', note: 'rotate prod' });
    expect(typeof item[TTL_ATTRIBUTE]).toBe('number');
  });

  it('treats a claim past its expiry as free even when TTL has not deleted it yet', async () => {
    const clock = clockAt('2025-03-10T12:00:00.500Z');
    const { s } = state({ clock });
    const key = unique('expiring');
    expect(await s.claim(key, 'first', { ttlSeconds: 60 })).toBe(true);
    clock.advance(59_000);
    expect(await s.claim(key, 'second', { ttlSeconds: 60 })).toBe(false);
    clock.advance(2_000);
    expect(await s.claim(key, 'second', { ttlSeconds: 60 })).toBe(true);
    expect(await s.claim(key, 'first', { ttlSeconds: 60 })).toBe(false);
  });

  it('holds a claim given no TTL for the default (7 days), then lets it go', async () => {
    const clock = clockAt('2025-03-10T12:00:00Z');
    const { s } = state({ clock });
    const key = unique('default-ttl');
    expect(await s.claim(key, 'first')).toBe(true);
    clock.advance(6 * 86_400_000);
    expect(await s.claim(key, 'second')).toBe(false);
    clock.advance(2 * 86_400_000);
    expect(await s.claim(key, 'second')).toBe(true);
  });
});

describe('DynamoState as PendingApprovals', () => {
  const approval = (id: string, exp: number): PendingApproval => ({
    id,
    cluster: 'prod',
    channel: 'C0OPS',
    ts: '1700000000.000100',
    exp,
    text: `promote ${id}`,
    requester: 'U0OPS',
  });
  // far from the other tests' times, so their pending items never fall in these windows
  const T = Date.parse('2031-05-05T10:00:00Z');

  it('returns only requests whose expiry is at or before now, oldest first, by a Query on the index (no Scan)', async () => {
    const { s, sent } = state({ clock: { now: () => new Date(T) } });
    const [late, past, exact, future] = [unique('late'), unique('past'), unique('exact'), unique('future')];
    await s.record(approval(future, T + 1));
    await s.record(approval(exact, T));
    await s.record(approval(past, T - 60_000));
    await s.record(approval(late, T - 3_600_000));
    sent.length = 0;
    const due = await s.due(new Date(T));
    const ours = due.filter((p) => [late, past, exact, future].includes(p.id));
    expect(ours.map((p) => p.id)).toEqual([late, past, exact]);
    expect(ours[0]).toEqual(approval(late, T - 3_600_000));
    expect(sent.map((c) => c.name)).toEqual(['QueryCommand']);
    expect(sent[0]!.input).toMatchObject({ IndexName: GSI1.name });
    expect((await s.due(new Date(T + 1))).map((p) => p.id)).toContain(future);
  });

  it('forgets a request by its id alone, and forgetting one it never had is fine', async () => {
    const { s, sent } = state();
    const id = unique('forget');
    await s.record(approval(id, T - 1_000));
    expect((await s.due(new Date(T))).map((p) => p.id)).toContain(id);
    sent.length = 0;
    await s.forget(id);
    expect(sent.map((c) => c.name)).toEqual(['DeleteCommand']);
    expect((await s.due(new Date(T))).map((p) => p.id)).not.toContain(id);
    await s.forget(unique('never-recorded'));
  });

  it('skips a malformed pending item and reports it, without trusting any of it', async () => {
    const { s, malformed } = state();
    const good = unique('good');
    await s.record(approval(good, T - 5_000));
    const badId = unique('bad');
    await table.doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: `PENDING#${badId}`,
          sk: 'PENDING',
          [GSI1.pk]: 'PENDING',
          [GSI1.sk]: `${String(T - 4_000).padStart(15, '0')}#${badId}`,
          approval: { id: badId, cluster: 'prod', exp: 'soon' },
        },
      }),
    );
    const due = await s.due(new Date(T));
    expect(due.map((p) => p.id)).toContain(good);
    expect(due.map((p) => p.id)).not.toContain(badId);
    expect(malformed).toEqual([expect.objectContaining({ pk: `PENDING#${badId}`, sk: 'PENDING', reason: expect.stringContaining('exp') })]);
  });

  it('refuses to record a request whose expiry is not a time', async () => {
    const { s } = state();
    await expect(s.record(approval(unique('nan'), Number.NaN))).rejects.toThrow();
    await expect(s.record({ ...approval(unique('noid'), T), id: '' })).rejects.toThrow();
  });
});

describe('DynamoState as AuditHistory', () => {
  const event = (at: string, over: Partial<AuditEvent> = {}): AuditEvent => ({
    requestId: unique('req'),
    at,
    user: 'U0OPS',
    command: 'drain',
    cluster: 'prod',
    outcome: 'succeeded',
    detail: `at ${at}`,
    ...over,
  });

  it('answers newest first across day partitions, within the window, filtered by cluster and user, up to the limit', async () => {
    // a year of its own, so other tests' events stay out of these windows
    const clock = clockAt('2032-03-10T01:00:00Z');
    const { s, sent } = state({ clock });
    const events = [
      event('2032-03-10T00:30:00Z'),
      event('2032-03-09T23:00:00.250Z', { cluster: 'staging' }),
      event('2032-03-09T02:00:00Z', { user: 'U0OTHER' }),
      event('2032-03-09T00:59:00Z'),
      event('2032-03-05T12:00:00Z', { user: 'U0OTHER', cluster: 'staging' }),
      event('2032-03-02T12:00:00Z'),
    ];
    // appended out of order, as events from different functions may be
    for (const e of [...events].reverse()) await s.append(e, 400);

    sent.length = 0;
    const day = await s.query({ since: new Date('2032-03-09T01:00:00Z'), limit: 50 });
    expect(day.map((e) => e.at)).toEqual(['2032-03-10T00:30:00Z', '2032-03-09T23:00:00.250Z', '2032-03-09T02:00:00Z']);
    expect(day[0]).toEqual(events[0]);
    // two day partitions, two queries, and no scan
    expect(sent.map((c) => c.name)).toEqual(['QueryCommand', 'QueryCommand']);
    expect(sent.map((c) => c.input['ExpressionAttributeValues'])).toEqual([
      expect.objectContaining({ ':pk': 'AUDIT#2032-03-10' }),
      expect.objectContaining({ ':pk': 'AUDIT#2032-03-09' }),
    ]);
    expect(sent.every((c) => c.input['ScanIndexForward'] === false)).toBe(true);

    const week = await s.query({ since: new Date('2032-03-03T01:00:00Z'), limit: 50 });
    expect(week.map((e) => e.at)).toEqual(events.slice(0, 5).map((e) => e.at));
    expect((await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 50 })).map((e) => e.at)).toEqual(events.map((e) => e.at));

    expect((await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 50, cluster: 'staging' })).map((e) => e.at)).toEqual([
      events[1]!.at,
      events[4]!.at,
    ]);
    expect((await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 50, user: 'U0OTHER' })).map((e) => e.at)).toEqual([
      events[2]!.at,
      events[4]!.at,
    ]);
    expect(
      (await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 50, user: 'U0OTHER', cluster: 'staging' })).map((e) => e.at),
    ).toEqual([events[4]!.at]);

    expect((await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 3 })).map((e) => e.at)).toEqual(events.slice(0, 3).map((e) => e.at));
    // the limit stops the walk: one day partition holds enough
    sent.length = 0;
    expect(await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 1 })).toEqual([events[0]]);
    expect(await s.query({ since: new Date('2032-03-01T00:00:00Z'), limit: 0 })).toEqual([]);
  });

  it('keeps one item for an event appended twice (a retry), and drops what is past its retention', async () => {
    const clock = clockAt('2033-06-01T12:00:00Z');
    const { s } = state({ clock });
    const e = event('2033-06-01T11:00:00Z');
    await s.append(e, 30);
    await s.append(e, 30);
    const short = event('2033-06-01T11:30:00Z', { outcome: 'failed' });
    await s.append(short, 1);
    const since = new Date('2033-05-01T00:00:00Z');
    expect(await s.query({ since, limit: 10 })).toEqual([short, e]);
    clock.advance(2 * 86_400_000);
    expect(await s.query({ since, limit: 10 })).toEqual([e]);
  });

  it('skips and reports an audit item that does not pass the event schema', async () => {
    const clock = clockAt('2034-01-02T00:00:00Z');
    const { s, malformed } = state({ clock });
    const good = event('2034-01-01T10:00:00Z');
    await s.append(good, 30);
    await table.doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: 'AUDIT#2034-01-01', sk: '2034-01-01T11:00:00.000Z#forged#succeeded', event: { requestId: 'forged', outcome: 'owned' } },
      }),
    );
    expect(await s.query({ since: new Date('2034-01-01T00:00:00Z'), limit: 10 })).toEqual([good]);
    expect(malformed).toEqual([expect.objectContaining({ pk: 'AUDIT#2034-01-01', reason: expect.stringContaining('outcome') })]);
  });
});

describe('Powertools Idempotency in the same table', () => {
  it('keeps its records under its own partition with our TTL attribute, and runs a function once per key', async () => {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: TABLE,
      ...IDEMPOTENCY_ATTRIBUTES,
      awsSdkV3Client: new DynamoDBClient(table.local.clientConfig),
    });
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'requestId' });
    // what a handler does with its Lambda context (facts.md: so it knows the time left)
    config.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 } as Context);
    let runs = 0;
    const work = makeIdempotent(async (job: { requestId: string }) => ({ ran: ++runs, requestId: job.requestId }), { persistenceStore, config });
    const requestId = unique('job');
    const first = await work({ requestId });
    expect(await work({ requestId })).toEqual(first);
    expect(runs).toBe(1);

    const { Items } = await table.doc.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': IDEMPOTENCY_ATTRIBUTES.staticPkValue },
      }),
    );
    expect(Items).toHaveLength(1);
    const record = Items![0]!;
    expect(record['status']).toBe('COMPLETED');
    // epoch seconds, as DynamoDB's TTL wants: within Powertools' default hour
    expect(record[TTL_ATTRIBUTE]).toBeGreaterThan(Date.now() / 1000);
    expect(record[TTL_ATTRIBUTE]).toBeLessThanOrEqual(Date.now() / 1000 + 3601);
    expect(record['expiration']).toBeUndefined();
  });
});
