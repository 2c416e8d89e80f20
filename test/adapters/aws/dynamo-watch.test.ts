/**
 * The watch's incidents, mutes and state in the state table, against an
 * in-process dynalite with the real SDK.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoWatchStore, type DynamoWatchStoreOptions } from '../../../src/adapters/aws/dynamo-watch.js';
import { TTL_ATTRIBUTE } from '../../../src/adapters/aws/state-table.js';
import type { WatchIncident } from '../../../src/ports.js';
import { clockAt, localStateTable, unique } from '../../support/dynamo.js';

const TABLE = 'swarm-ops-test-watch';
const table = localStateTable(TABLE, (doc, name, opts: DynamoWatchStoreOptions) => new DynamoWatchStore(doc, name, opts));
const state = (opts?: DynamoWatchStoreOptions) => table.store(opts);

describe('DynamoWatchStore as the watch\'s IncidentStore', () => {
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
    const { Item } = await table.doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `WATCH#${cluster}`, sk: 'INCIDENT#node-down#w1id' } }));
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
    await table.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: `WATCH#${cluster}`, sk: 'INCIDENT#node-down#evil', incident: { cluster, kind: 'node-down', since: 'yesterday' } } }));
    await table.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: `WATCH#${cluster}`, sk: 'MUTE#x', mute: { cluster, target: 'x', kind: 'everything', until: W + 1, by: 'U', at: W } } }));
    const snap = await s.load(cluster);
    expect(snap.incidents.map((i) => i.subject)).toEqual(['w1id']);
    expect(snap.mutes).toEqual([]);
    expect(malformed.map((m) => m.sk).sort()).toEqual(['INCIDENT#node-down#evil', 'MUTE#x']);
    await expect(s.putIncident({ ...incident(cluster), kind: 'bored' as never })).rejects.toThrow();
  });
});

