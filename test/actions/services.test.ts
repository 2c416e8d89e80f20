import { describe, expect, it } from 'vitest';
import { SERVICES_PER_PAGE } from '../../src/actions/services.js';
import { renderBlockKit } from '../../src/render/block-kit.js';
import { renderPlainText } from '../../src/render/plain-text.js';
import { FakeSwarm, manager, service, task, worker } from '../support/fixtures.js';
import { answer } from '../support/run.js';
import { UserFacingError } from '../../src/errors.js';

const NOW = new Date('2026-12-03T10:05:00Z');
const swarmWith = () => {
  const s = new FakeSwarm([manager('m1', { leader: true }), worker('w1'), worker('w2')]);
  const web = service('web', { replicas: 3, running: 3, desired: 3, stack: 'shop', ports: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'ingress' }] });
  const agent = service('agent', { mode: 'global', running: 3, desired: 3 });
  const crash = service('crash', { replicas: 1, running: 0, desired: 1, stack: 'shop' });
  s.serviceList = [web, agent, crash];
  s.serviceTasks = [
    task(web, 1, 'm1'),
    task(web, 2, 'w1'),
    task(web, 3, 'w2'),
    ...[1, 2, 3, 4].map((i) => task(crash, 1, 'w1', { id: `crashtask${i}`.padEnd(25, '0'), state: 'failed', desiredState: 'shutdown', error: 'task: non-zero exit (3)', exitCode: 3, at: new Date(NOW.getTime() - i * 60_000) })),
    task(crash, 1, 'w1', { id: 'crashtasknow'.padEnd(25, '0'), state: 'starting', at: NOW }),
  ];
  return s;
};

describe('services', () => {
  it('lists unhealthy first, with replicas, image, ports and stack, in two Docker requests', async () => {
    const s = swarmWith();
    const text = renderPlainText(await answer(s, 'services', { now: NOW }));
    expect(text.indexOf('crash')).toBeLessThan(text.indexOf('agent'));
    expect(text).toMatch(/crash\s+crash loop\s+0\/1/);
    expect(text).toMatch(/agent\s+ok\s+global 3\/3/);
    expect(text).toMatch(/web\s+ok\s+3\/3\s+registry\.example\/app:1\.0\s+-\s+8080→80\s+shop/);
    expect(s.serviceCalls).toBe(2);
  });
  it('filters by stack and by health; an empty filter says how to see all', async () => {
    const s = swarmWith();
    expect((await answer(s, 'services --stack shop', { now: NOW })).title).toBe('Services of prod (stack shop)');
    expect(renderPlainText(await answer(s, 'services --filter unhealthy', { now: NOW }))).not.toMatch(/\bweb\b/);
    expect(renderPlainText(await answer(s, 'services --filter updating', { now: NOW }))).toMatch(/No service matches .* Type \/swarm services/);
  });
  it('keeps 1,000 services with 10,000 tasks inside Slack limits, paged, in two requests a page', async () => {
    const s = new FakeSwarm([manager('m1', { leader: true })]);
    s.serviceList = Array.from({ length: 1000 }, (_, i) => service(`svc-${i}`, { replicas: 10, running: i % 7 === 0 ? 9 : 10, desired: 10 }));
    s.serviceTasks = s.serviceList.flatMap((svc) => Array.from({ length: 10 }, (_, k) => task(svc, k + 1, 'm1')));
    const first = await answer(s, 'services', { now: NOW });
    expect(s.serviceCalls).toBe(2);
    expect(renderPlainText(first)).toMatch(new RegExp(`page 1 of ${Math.ceil(1000 / SERVICES_PER_PAGE)}: type /swarm services --page 2`));
    const blocks = JSON.stringify(renderBlockKit(first));
    expect(blocks).not.toMatch(/did not fit/);
    expect(blocks.length).toBeLessThan(40_000);
    await expect(answer(s, 'services --page 999', { now: NOW })).rejects.toThrow(/There are 20 pages; type `--page 20` or less/);
  });
});

describe('service <name>', () => {
  it('names a crash loop with its exit code, and the tasks by node', async () => {
    const text = renderPlainText(await answer(swarmWith(), 'service crash', { now: NOW }));
    expect(text).toMatch(/Service crash on prod: crash loop/);
    expect(text).toMatch(/Crash loop:\S* 4 task failures in the last 10 minutes; the last: task: non-zero exit \(3\) on w1/);
    expect(text).toMatch(/crash\.1\s+w1\s+failed \(was\)\s+\S+ min\s+3\s+task: non-zero exit \(3\)/);
  });
  it('an unknown service: did you mean, and nothing else', async () => {
    await expect(answer(swarmWith(), 'service wbe')).rejects.toThrow(/No service `wbe` on `prod`\. Did you mean `web`\?/);
    await expect(answer(swarmWith(), 'service "bad name"')).rejects.toThrow(/is not a service name/);
  });
});

describe('stacks', () => {
  it('groups services by their stack label and names the unhealthy ones', async () => {
    const text = renderPlainText(await answer(swarmWith(), 'stacks', { now: NOW }));
    expect(text).toMatch(/shop\s+2\s+1\s+crash/);
    await expect(answer(swarmWith(), 'stack nope')).rejects.toThrow(/No stack `nope` on `prod`; there are `shop`/);
  });
});

describe('service changes', () => {
  it('scale: refuses a global service, says why, changes nothing', async () => {
    const s = swarmWith();
    await expect(answer(s, 'service scale agent=5')).rejects.toThrow(/`agent` is a global service: it runs one task on every eligible node/);
    await expect(answer(s, 'service scale web=x')).rejects.toThrow(/is not SERVICE=REPLICAS/);
    expect(s.changes).toEqual([]);
  });
  it('scale and update converge and say so; a dry run changes nothing', async () => {
    const s = swarmWith();
    const dry = await answer(s, 'service update web --image registry.example/app:2.0 --dry-run');
    expect(dry.title).toBe('Dry run: would update web on prod from registry.example/app:1.0 to registry.example/app:2.0');
    expect(s.changes).toEqual([]);
    // the fake's tasks follow the new spec at once
    const before = s.services.update;
    s.services.update = async (id, change) => {
      const r = await before(id, change);
      const svc = s.serviceList.find((x) => x.id === id)!;
      s.serviceTasks = s.serviceTasks.filter((t) => t.serviceId !== id).concat(Array.from({ length: svc.replicas ?? 1 }, (_, i) => task(svc, i + 1, 'w1')));
      return r;
    };
    expect((await answer(s, 'service scale web=5')).title).toBe('Scale done');
    const up = await answer(s, 'service update web --image registry.example/app:2.0');
    expect(up.title).toBe('Update done');
    expect(renderPlainText(up)).toMatch(/web: converged, 5 of 5 tasks running registry.example\/app:2.0/);
    expect(s.changes).toEqual(['service web scale 5', 'service web image registry.example/app:2.0']);
  });
  it('a paused rollout names the failing task, its node and error, and how to roll back', async () => {
    const s = swarmWith();
    const web = s.serviceList[0]!;
    s.services.update = async () => {
      Object.assign(web, { image: 'registry.example/app:nope', update: { state: 'paused', message: 'update paused due to failure or early termination of task taskbad' } });
      s.serviceTasks.push(task(web, 1, 'w2', { id: 'taskbad'.padEnd(25, '0'), state: 'rejected', error: 'No such image: registry.example/app:nope', image: 'registry.example/app:nope' }));
      return { warnings: [] };
    };
    const r = await answer(s, 'service update web --image registry.example/app:nope');
    expect(r.title).toBe('Update paused');
    expect(renderPlainText(r)).toMatch(/Failing: web.1 on w2: rejected: No such image: registry.example\/app:nope/);
    expect(renderPlainText(r)).toMatch(/To go back to the previous spec: \/swarm service rollback web/);
  });
  it('rollback without a previous spec is refused with what to type instead', async () => {
    await expect(answer(swarmWith(), 'service rollback web')).rejects.toThrow(/has no previous spec to roll back to/);
    await expect(answer(swarmWith(), 'stack rollback shop')).rejects.toThrow(/No service of stack `shop` has a previous spec/);
  });
  it("the cluster's approve list puts service update behind a second person, bound to the service and its spec", async () => {
    const { parsePolicy } = await import('../../src/config/policy.js');
    const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] }, clusters: { prod: { approve: ['service update'] } } }));
    const { run } = await import('../support/run.js');
    const s = swarmWith();
    const out = await run(s, 'service update web --image registry.example/app:2.0', { policy });
    expect(out.kind).toBe('approval-needed');
    if (out.kind === 'approval-needed') {
      expect(out.binding).toEqual({ service: s.serviceList[0]!.id, spec: s.serviceList[0]!.fingerprint });
      expect(renderPlainText(out.request)).toMatch(/asks to update web on prod from registry.example\/app:1.0 to registry.example\/app:2.0/);
    }
    expect(s.changes).toEqual([]);
    const bad = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] }, clusters: { prod: { approve: ['service updat'] } } }));
    await expect(run(s, 'service update web --image registry.example/app:2.0', { policy: bad })).rejects.toThrow(/"service updat", which is not a changing command/);
  });
});

describe('a rollout that outlives the follow time', () => {
  it('is handed to the watch with its service, and the answer says the watch goes on; a paused one carries a signed Roll back button', async () => {
    const { planAndApply } = await import('../support/run.js');
    const { serviceUpdate } = await import('../../src/actions/service-changes.js');
    const { parsePolicy } = await import('../../src/config/policy.js');
    const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] }, rolloutFollowSeconds: 1 }));
    const s = swarmWith();
    const web = s.serviceList[0]!;
    // Docker is still updating: one new task of three
    s.services.update = async () => {
      Object.assign(web, { image: 'registry.example/app:2.0', update: { state: 'updating', message: 'update in progress' } });
      s.serviceTasks = s.serviceTasks.filter((t) => t.serviceId !== web.id).concat([task(web, 1, 'w1')]);
      return { warnings: [] };
    };
    const handed: unknown[] = [];
    const r = await planAndApply(serviceUpdate, s, { service: 'web', image: 'registry.example/app:2.0' } as never, { policy, hooks: { handOff: async (x) => (handed.push(x), true) } });
    expect(handed).toEqual([{ cluster: 'prod', serviceId: web.id, serviceName: 'web', op: 'image', what: 'image registry.example/app:1.0 → registry.example/app:2.0' }]);
    expect(r.title).toBe('Update still rolling out');
    expect(renderPlainText(r)).toMatch(/1 of 3 tasks on registry.example\/app:2.0\. The watch goes on following it and edits this message with the verdict/);

    s.services.update = async () => {
      Object.assign(web, { image: 'registry.example/app:3.0', update: { state: 'paused', message: 'update paused due to failure or early termination of task taskweb1' } });
      return { warnings: [] };
    };
    const paused = await planAndApply(serviceUpdate, s, { service: 'web', image: 'registry.example/app:3.0' } as never, { policy, hooks: { signer: async () => (command: string) => `signed:${command}` } });
    const buttons = paused.parts.find((p) => p.kind === 'buttons');
    expect(buttons).toMatchObject({ buttons: [{ label: 'Roll back', value: 'signed:service rollback web --cluster prod', style: 'danger' }] });
  });
});

describe('review fixes', () => {
  it('a stack rollback of 30 services fits one signed approval (the binding is hashed)', async () => {
    const { parsePolicy } = await import('../../src/config/policy.js');
    const { run } = await import('../support/run.js');
    const { signApproval } = await import('../../src/domain/approval.js');
    const s = new FakeSwarm([manager('m1', { leader: true })]);
    s.serviceList = Array.from({ length: 30 }, (_, i) => service(`shop_svc${i}`, { stack: 'shop', previous: { image: 'a:1', replicas: 2, fingerprint: 'old' } }));
    const policy = parsePolicy(JSON.stringify({ defaultCluster: 'prod', auditChannel: 'C', roles: { viewer: ['*'], operator: ['*'], approver: ['*'] } }));
    const out = await run(s, 'stack rollback shop', { policy });
    expect(out.kind).toBe('approval-needed');
    if (out.kind !== 'approval-needed') return;
    const value = signApproval({ v: 1, id: 'r', text: 'stack rollback shop', cluster: 'prod', requester: 'U1', channel: 'C1', exp: Date.now() + 60_000, binding: out.binding! }, 'secret');
    expect(value.length).toBeLessThan(2000);
  });
  it('service logs: a private key printed over several lines is redacted whole, and JSON credentials and webhook URLs too', async () => {
    const s = swarmWith();
    const web = s.serviceList[0]!;
    const [t1, t2] = s.serviceTasks;
    const at = (n: number) => `2026-12-03T10:04:${String(n).padStart(2, '0')}.000000000Z`;
    const line = (n: number, t: typeof t1, text: string) => ({ at: at(n), taskId: t!.id, nodeId: t!.nodeId!, stream: 'stdout' as const, text });
    s.serviceLogs.set(web.id, {
      lines: [
        line(1, t1, '-----BEGIN PRIVATE KEY-----'),
        line(2, t2, 'unrelated line'),
        line(3, t1, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'),
        line(4, t1, 'a2V5Ym9keWxpbmV0d28='),
        line(5, t1, '-----END PRIVATE KEY-----'),
        line(6, t1, '{"AccessKeyId":"AKIAABCDEFGHIJKLMNOP","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"FwoGZXIvYXdzE"}'),
        line(7, t2, 'posting to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX'),
      ],
      errors: [],
    });
    const text = renderPlainText(await answer(s, 'service logs web', { now: NOW }));
    expect(text).not.toMatch(/MIIEvQ|a2V5Ym9k|wJalrXUtn|FwoGZXIv|XXXXXXXX|AKIAABCD/);
    expect(text).toMatch(/web.1@\S+ \| \[redacted key\]/);
    expect(text).toMatch(/unrelated line/);
    expect(text).toMatch(/hooks\.slack\.com\/services\/\[redacted\]/);
  });
  it('scale of two services where Docker refuses the second: the first goes ahead and the answer says which was not changed', async () => {
    const s = swarmWith();
    s.serviceList.push(service('api', { replicas: 2 }));
    const update = s.services.update;
    s.services.update = async (id, change) => {
      if (id === s.serviceList.find((x) => x.name === 'api')!.id) throw new UserFacingError('CONFLICT', 'Docker refused the change to `api`: no');
      const r = await update(id, change);
      const svc = s.serviceList.find((x) => x.id === id)!;
      s.serviceTasks = s.serviceTasks.filter((t) => t.serviceId !== id).concat(Array.from({ length: svc.replicas ?? 1 }, (_, i) => task(svc, i + 1, 'w1')));
      return r;
    };
    const r = await answer(s, 'service scale web=4 api=5');
    expect(r.title).toBe('Scale partly refused');
    expect(renderPlainText(r)).toMatch(/web: converged, 4 of 4/);
    expect(renderPlainText(r)).toMatch(/api: not changed \(replicas 2 → 5\): Docker refused the change to api: no/);
  });
});
