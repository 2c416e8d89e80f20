/**
 * The watch function over services, end to end over the fake swarm and
 * Slack, with the real table (dynalite) and a fake clock: a crash loop posted
 * once and resolved in its thread, changes made outside swarm-ops posted once
 * (the first pass silent, nothing on unchanged passes, swarm-ops' own change
 * never), two Docker requests for services and tasks whatever their number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateClient, DynamoState } from '../../src/adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../../src/adapters/aws/dynamo-watch.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local/local-dynamo.js';
import { createWatch } from '../../src/watch/watch-pass.js';
import { runCommand } from '../../src/app/run-command.js';
import { parsePolicy } from '../../src/config/policy.js';
import { verifyAlertButton } from '../../src/domain/alert-button.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import type { Reply } from '../../src/domain/reply.js';
import type { SwarmService } from '../../src/ports.js';
import { credentials, FakeChat, MemoryLog, MemoryState, MemoryUnlockKeys, policies, testPolicy } from '../support/fakes.js';
import { daemonInfo, FakeSwarm, manager, service, task, worker } from '../support/fixtures.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-03T10:00:00Z');
const TOKEN = 'xoxb-test-bot-token';
let local: LocalDynamo;
let seq = 0;

beforeAll(async () => {
  local = await startLocalDynamo({ tableName: 'swarm-ops-watch-services-test' });
});
afterAll(async () => {
  await local?.close();
});

const plain = (r: Reply) => renderPlainText(r).replace(/`/g, '');
const buttonsOf = (blocks: Array<Record<string, unknown>>) =>
  (blocks.find((b) => b['type'] === 'actions')?.['elements'] as Array<{ action_id: string; value: string; text: { text: string } }> | undefined) ?? [];

function world(services: SwarmService[], o: { graceMinutes?: number } = {}) {
  const cluster = `s${++seq}`;
  const swarm = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')], { info: daemonInfo() });
  swarm.serviceList = services;
  swarm.serviceTasks = services.flatMap((s) => Array.from({ length: s.replicas ?? 1 }, (_, n) => task(s, n + 1, swarm.nodeList[3]!.id)));
  let now = T0;
  const clock = { now: () => new Date(now) };
  const doc = createStateClient(local.clientConfig);
  const store = new DynamoWatchStore(doc, local.tableName, { clock });
  const chat = new FakeChat();
  const watch = createWatch({
    policies: policies(testPolicy({ defaultCluster: cluster, channels: {}, clusters: { [cluster]: { watch: { channel: 'C0ALERTS', graceMinutes: o.graceMinutes ?? 3 } } } })),
    credentials: credentials(),
    swarmFor: () => swarm,
    chat,
    log: new MemoryLog(),
    clock,
    claims: new DynamoState(doc, local.tableName, { clock }),
    incidents: store,
    botToken: async () => TOKEN,
    timing: { postIntervalMs: 0 },
  });
  /** a command typed by an operator, through the real pipeline, with the watch's table */
  const command = (text: string) =>
    runCommand(
      { swarmFor: async () => swarm, history: new MemoryState(), claims: new MemoryState(), unlockKeys: new MemoryUnlockKeys(), clock, incidents: store },
      parsePolicy(JSON.stringify({ defaultCluster: cluster, auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] }, probeImage: 'probe:1', rolloutFollowSeconds: 1 })),
      { text, user: 'U1', channel: 'C1', requestId: `req-${text.length}` },
    );
  return {
    cluster,
    swarm,
    chat,
    store,
    command,
    pass: async (minutes: number) => ((now = T0 + minutes * MIN), (await watch({ id: `tick-${minutes}` }))[0]!),
  };
}

const ten = () => Array.from({ length: 10 }, (_, n) => service(`svc${n}`, { replicas: 2 }));

describe('the watch function, for services', () => {
  it('two healthy passes over ten services post nothing, and read services and tasks in two requests each pass', async () => {
    const w = world(ten());
    for (let m = 0; m < 3; m++) {
      const before = w.swarm.serviceCalls;
      expect((await w.pass(m)).said).toEqual([]);
      expect(w.swarm.serviceCalls - before).toBe(2);
    }
    expect(w.chat.posts).toEqual([]);
    const { services, state } = await w.store.load(w.cluster);
    expect(services).toHaveLength(10);
    expect(state?.servicesSeenAt).toBe(T0);
  });

  it('a crash loop: one incident naming the service and the exit code, with Roll back; whole again, resolved in its thread and the message edited', async () => {
    const api = service('api', { replicas: 1, running: 0, desired: 1, previous: { image: 'registry.example/app:0.9', replicas: 1, fingerprint: 'old' } });
    const w = world([api], { graceMinutes: 1 });
    w.swarm.serviceTasks = [1, 2, 3].map((n) => task(api, 1, w.swarm.nodeList[3]!.id, { id: `crash${n}`.padEnd(25, '0'), state: 'failed', desiredState: 'shutdown', error: 'task: non-zero exit (3)', exitCode: 3, at: new Date(T0 - n * 10_000) }));
    expect((await w.pass(0)).said).toEqual([`post Crash loop: api (${w.cluster})`]);
    for (let m = 1; m < 3; m++) expect((await w.pass(m)).said).toEqual([]);
    const post = w.chat.posts[0]!;
    expect(plain(post.reply)).toMatch(/api's tasks keep failing: 3 failures in the last 10 minutes, the last on w1: task: non-zero exit \(3\)/);
    expect(plain(post.reply)).toMatch(new RegExp(`/swarm watch mute api 2h --cluster ${w.cluster}`));
    const [rollback, show] = buttonsOf(post.message.blocks as never);
    expect(rollback!.text.text).toBe('Roll back');
    expect(verifyAlertButton(rollback!.value, TOKEN, T0)).toMatchObject({ ok: true, command: `service rollback api --cluster ${w.cluster}` });
    expect(verifyAlertButton(show!.value, TOKEN, T0)).toMatchObject({ ok: true, command: `service api --cluster ${w.cluster}` });

    w.swarm.serviceList = [{ ...api, running: 1 }];
    w.swarm.serviceTasks = [...w.swarm.serviceTasks, task(api, 1, w.swarm.nodeList[4]!.id, { at: new Date(T0 + 2 * MIN) })];
    expect((await w.pass(3)).said).toEqual([]);
    expect((await w.pass(4)).said).toEqual([`thread Resolved after 4 min: Crash loop: api (${w.cluster})`, `edit Resolved after 4 min: Crash loop: api (${w.cluster})`]);
    expect(w.chat.posts.filter((p) => !p.threadTs)).toHaveLength(1);
  });

  it('`docker service update --env-add FOO=secret` over ssh: one post naming the service and FOO, never the value, with Roll back; nothing on the next passes', async () => {
    const web = service('web', { envNames: ['MODE'] });
    const w = world([web]);
    expect((await w.pass(0)).said).toEqual([]);
    w.swarm.serviceList = [{ ...web, version: 14, fingerprint: 'moved', envNames: ['MODE', 'FOO'], previous: { image: web.image, replicas: 2, fingerprint: web.fingerprint }, updatedAt: new Date(T0 + 90_000) }];
    expect((await w.pass(2)).said).toEqual([`post Changed outside swarm-ops: web (${w.cluster})`]);
    const post = w.chat.posts[0]!;
    expect(plain(post.reply)).toMatch(/web was changed outside swarm-ops at 10:01 UTC/);
    expect(plain(post.reply)).toMatch(/environment variable added: FOO/);
    expect(JSON.stringify(post.message)).not.toMatch(/secret/);
    const [rollback] = buttonsOf(post.message.blocks as never);
    expect(verifyAlertButton(rollback!.value, TOKEN, T0 + 2 * MIN)).toMatchObject({ ok: true, command: `service rollback web --cluster ${w.cluster}` });
    // Docker's own status writes move the version, not the spec
    w.swarm.serviceList = [{ ...w.swarm.serviceList[0]!, version: 20 }];
    for (let m = 3; m < 5; m++) expect((await w.pass(m)).said).toEqual([]);
    expect(w.chat.posts).toHaveLength(1);
  });

  it('a `service scale` and a `service rollback` through the bot are never posted as changes made outside', async () => {
    const web = service('web', { replicas: 2 });
    const w = world([web]);
    await w.pass(0);
    const scaled = await w.command('service scale web=4');
    expect(scaled.kind).toBe('answer');
    expect(w.swarm.changes).toContain('service web scale 4');
    expect((await w.store.load(w.cluster)).ownChanges).toMatchObject([{ serviceId: web.id }]);
    // the fake's tasks follow the new spec
    w.swarm.serviceList = w.swarm.serviceList.map((s) => ({ ...s, running: 4 }));
    expect((await w.pass(1)).said).toEqual([]);
    expect((await w.store.load(w.cluster)).ownChanges).toEqual([]);
    await w.command('service rollback web');
    w.swarm.serviceList = w.swarm.serviceList.map((s) => ({ ...s, running: s.replicas ?? 2, desired: s.replicas ?? 2 }));
    expect((await w.pass(2)).said).toEqual([]);
    expect(w.chat.posts).toEqual([]);
    expect((await w.store.load(w.cluster)).services).toMatchObject([{ replicas: 2 }]);
  });

  it('a service created and one removed outside: each noted once; a muted service\'s change is recorded, not posted', async () => {
    const web = service('web');
    const w = world([web, service('api')]);
    await w.pass(0);
    w.swarm.serviceList = [web, service('cache', { image: 'redis:7' })];
    expect((await w.pass(1)).said.sort()).toEqual([`post Created outside swarm-ops: cache (${w.cluster})`, `post Removed outside swarm-ops: api (${w.cluster})`]);
    expect((await w.pass(2)).said).toEqual([]);
    await w.store.putMute({ cluster: w.cluster, target: 'web', serviceId: web.id, until: T0 + 60 * MIN, by: 'U1', at: T0 });
    w.swarm.serviceList = [{ ...web, fingerprint: 'moved', image: 'registry.example/app:2.0' }, ...w.swarm.serviceList.slice(1)];
    expect((await w.pass(3)).said).toEqual([]);
    expect((await w.store.load(w.cluster)).services.find((s) => s.name === 'web')).toMatchObject({ fingerprint: 'moved' });
  });
});
