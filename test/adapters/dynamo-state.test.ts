/**
 * The state table against an in-process dynalite with the real SDK: the same
 * keys and index as the deployed table (both read infra/state-table.json).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStateClient, DynamoState, type DynamoStateOptions, type MalformedItem } from '../../src/adapters/dynamo-state.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local-dynamo.js';
import { createTableInput, GSI1, IDEMPOTENCY_ATTRIBUTES, KEY, tableDefinition, TTL_ATTRIBUTE } from '../../src/adapters/state-table.js';
import type { AuditEvent } from '../../src/jobs.js';
import type { PendingApproval, WatchIncident } from '../../src/ports.js';

const TABLE = 'swarm-ops-test-state';
let local: LocalDynamo;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  local = await startLocalDynamo({ tableName: TABLE });
  doc = createStateClient(local.clientConfig);
});
afterAll(async () => {
  doc?.destroy();
  await local?.close();
});

/** a clock the test moves */
function clockAt(iso: string) {
  let now = new Date(iso).getTime();
  return {
    now: () => new Date(now),
    set: (at: string) => void (now = new Date(at).getTime()),
    advance: (ms: number) => void (now += ms),
  };
}

/** a DynamoState, the names of the commands it sent, and what it reported as malformed */
function state(opts: DynamoStateOptions = {}) {
  const malformed: MalformedItem[] = [];
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const spied = createStateClient(local.clientConfig);
  const send = spied.send.bind(spied);
  vi.spyOn(spied, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return send(command as never);
  }) as never);
  const s = new DynamoState(spied, TABLE, { onMalformed: (m) => malformed.push(m), ...opts });
  return { s, sent, malformed };
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

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
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local.endpoint);
    try {
      const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const Key = { pk: { S: 'ENV#probe' }, sk: { S: 'ENV' } };
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...Key, v: { S: 'through the env' } } }));
      const got = await createStateClient(local.clientConfig).send(new GetCommand({ TableName: TABLE, Key: { pk: 'ENV#probe', sk: 'ENV' } }));
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
    const item = (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `CLAIM#${key}`, sk: 'CLAIM' } }))).Item!;
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
    await doc.send(
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
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: 'AUDIT#2034-01-01', sk: '2034-01-01T11:00:00.000Z#forged#succeeded', event: { requestId: 'forged', outcome: 'owned' } },
      }),
    );
    expect(await s.query({ since: new Date('2034-01-01T00:00:00Z'), limit: 10 })).toEqual([good]);
    expect(malformed).toEqual([expect.objectContaining({ pk: 'AUDIT#2034-01-01', reason: expect.stringContaining('outcome') })]);
  });
});

describe('DynamoState as the watch\'s IncidentStore', () => {
  const W = Date.parse('2026-11-21T10:00:00Z');
  const incident = (cluster: string, over: Partial<WatchIncident> = {}): WatchIncident => ({
    cluster, kind: 'node-down', subject: 'w1id', name: 'w1', role: 'worker', status: 'open', since: W - 600_000, openedAt: W - 420_000, flaps: 1, detail: '', channel: 'C0ALERTS', ts: '1.0001', title: 'Node down: w1', text: 'w1 is down', noted: ['flapping'], ...over,
  });

  it('keeps a cluster\'s incidents, mutes and last state under its own partition, read back with one Query (no Scan)', async () => {
    const { s, sent } = state({ clock: clockAt('2026-11-21T10:00:00Z') });
    const cluster = unique('prod');
    await s.putIncident(incident(cluster));
    await s.putIncident(incident(cluster, { kind: 'quorum-at-risk', subject: '-', name: cluster, status: 'pending', detail: '2/3' }));
    await s.putMute({ cluster, target: 'node-down', kind: 'node-down', until: W + 3_600_000, by: 'U0OPS', at: W });
    await s.putState({ cluster, leader: { id: 'm1id', hostname: 'm1' }, certsCheckedAt: W, lastPassAt: W });
    await s.putIncident(incident(unique('other')));
    sent.length = 0;
    const snap = await s.load(cluster);
    expect(sent.map((c) => c.name)).toEqual(['QueryCommand']);
    expect(sent[0]!.input).toMatchObject({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `WATCH#${cluster}` }, ConsistentRead: true });
    expect(snap.incidents.map((i) => i.kind).sort()).toEqual(['node-down', 'quorum-at-risk']);
    expect(snap.incidents.find((i) => i.kind === 'node-down')).toEqual(incident(cluster));
    expect(snap.mutes).toEqual([{ cluster, target: 'node-down', kind: 'node-down', until: W + 3_600_000, by: 'U0OPS', at: W }]);
    expect(snap.state).toEqual({ cluster, leader: { id: 'm1id', hostname: 'm1' }, certsCheckedAt: W, lastPassAt: W });
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `WATCH#${cluster}`, sk: 'INCIDENT#node-down#w1id' } }));
    expect(Item![TTL_ATTRIBUTE]).toBe(Math.ceil(W / 1000) + 400 * 86_400);
  });

  it('keeps one incident per (cluster, kind, subject): a second write replaces it; removing it leaves the others', async () => {
    const { s } = state({ clock: clockAt('2026-11-21T10:00:00Z') });
    const cluster = unique('prod');
    await s.putIncident(incident(cluster, { status: 'pending', flaps: 0 }));
    await s.putIncident(incident(cluster, { flaps: 2 }));
    await s.putIncident(incident(cluster, { subject: 'w2id', name: 'w2' }));
    expect((await s.load(cluster)).incidents.map((i) => `${i.subject} ${i.flaps}`).sort()).toEqual(['w1id 2', 'w2id 1']);
    await s.removeIncident({ cluster, kind: 'node-down', subject: 'w1id' });
    expect((await s.load(cluster)).incidents.map((i) => i.subject)).toEqual(['w2id']);
  });

  it('leaves out a mute that has ended, even before TTL deletes it; unmuting says whether there was one', async () => {
    const clock = clockAt('2026-11-21T10:00:00Z');
    const { s } = state({ clock });
    const cluster = unique('prod');
    await s.putMute({ cluster, target: 'w1', nodeId: 'w1id', until: W + 60_000, by: 'U0OPS', at: W });
    await s.putMute({ cluster, target: 'leader-changed', kind: 'leader-changed', until: W + 3_600_000, by: 'U0OPS', at: W });
    clock.advance(120_000);
    expect((await s.load(cluster)).mutes.map((m) => m.target)).toEqual(['leader-changed']);
    expect(await s.removeMute(cluster, 'w1')).toBe(false);
    expect(await s.removeMute(cluster, 'leader-changed')).toBe(true);
    expect(await s.removeMute(cluster, 'leader-changed')).toBe(false);
  });

  it('skips and reports a watch item that fails its schema; refuses to write one', async () => {
    const { s, malformed } = state({ clock: clockAt('2026-11-21T10:00:00Z') });
    const cluster = unique('prod');
    await s.putIncident(incident(cluster));
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: `WATCH#${cluster}`, sk: 'INCIDENT#node-down#evil', incident: { cluster, kind: 'node-down', since: 'yesterday' } } }));
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: `WATCH#${cluster}`, sk: 'MUTE#x', mute: { cluster, target: 'x', kind: 'everything', until: W + 1, by: 'U', at: W } } }));
    const snap = await s.load(cluster);
    expect(snap.incidents.map((i) => i.subject)).toEqual(['w1id']);
    expect(snap.mutes).toEqual([]);
    expect(malformed.map((m) => m.sk).sort()).toEqual(['INCIDENT#node-down#evil', 'MUTE#x']);
    await expect(s.putIncident({ ...incident(cluster), kind: 'bored' as never })).rejects.toThrow();
  });
});

describe('Powertools Idempotency in the same table', () => {
  it('keeps its records under its own partition with our TTL attribute, and runs a function once per key', async () => {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: TABLE,
      ...IDEMPOTENCY_ATTRIBUTES,
      awsSdkV3Client: new DynamoDBClient(local.clientConfig),
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

    const { Items } = await doc.send(
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
