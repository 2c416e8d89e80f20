/**
 * What runs on the swarm, read: `services`, `service <name>`, `stacks`,
 * `stack <name>`. Two Docker requests whatever the number of services: the
 * list with its status, and the tasks.
 */
import type { ArgsFor } from '../commands/registry.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { reply, type ReplyPart, type Tone } from '../domain/reply.js';
import { hhmm, span } from '../domain/time-format.js';
import { UserFacingError } from '../errors.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../ports.js';
import { code } from '../render/escape.js';
import { replicasText, resolveService, serviceHealth, shortImage, taskProblem, type ServiceHealth } from '../shared/service-health.js';
import type { ReadAction, ReadContext } from './types.js';

/** Rows a page shows: well inside a Slack message, whatever the names' lengths. */
export const SERVICES_PER_PAGE = 50;
const HOUR_MS = 3_600_000;

interface Row {
  svc: SwarmService;
  health: ServiceHealth;
}

const portsText = (s: SwarmService) => s.ports.filter((p) => p.published).map((p) => `${p.published}→${p.target}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`).join(' ') || '-';
const updateText = (s: SwarmService) => (s.update && s.update.state !== 'completed' ? s.update.state.replace('_', ' ') : '-');

async function readAll(ctx: ReadContext): Promise<Row[]> {
  const [services, tasks] = await Promise.all([ctx.swarm.services.list(), ctx.swarm.services.tasks()]);
  const now = ctx.clock.now().getTime();
  const byService = new Map<string, SwarmTask[]>();
  for (const t of tasks) {
    const list = byService.get(t.serviceId);
    if (list) list.push(t);
    else byService.set(t.serviceId, [t]);
  }
  return services
    .map((svc) => ({ svc, health: serviceHealth(svc, byService.get(svc.id) ?? [], now) }))
    .sort((a, b) => Number(a.health.healthy) - Number(b.health.healthy) || naturalCompare(a.svc.name, b.svc.name));
}

function statusWord(r: Row): string {
  if (r.health.crashLoop) return 'crash loop';
  if (r.svc.update?.state === 'paused' || r.svc.update?.state === 'rollback_paused') return 'paused';
  if (r.svc.running < r.svc.desired) return 'below desired';
  return r.health.updating ? 'updating' : 'ok';
}

function servicesReply(_ctx: ReadContext, rows: Row[], o: { title: string; page: number; command: string; empty: string }): ReturnType<typeof reply> {
  const pages = Math.max(1, Math.ceil(rows.length / SERVICES_PER_PAGE));
  if (o.page > pages) throw new UserFacingError('VALIDATION', `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`}; type \`--page ${pages}\` or less.`);
  const shown = rows.slice((o.page - 1) * SERVICES_PER_PAGE, o.page * SERVICES_PER_PAGE);
  const unhealthy = rows.filter((r) => !r.health.healthy).length;
  if (!rows.length) return reply(o.title, 'info', [{ kind: 'text', text: o.empty }]);
  const more = o.page < pages ? ` · page ${o.page} of ${pages}: type \`${o.command} --page ${o.page + 1}\` for more` : pages > 1 ? ` · page ${o.page} of ${pages}` : '';
  const tone: Tone = unhealthy ? 'warn' : 'ok';
  const parts: ReplyPart[] = [
    {
      kind: 'table',
      noun: 'services',
      columns: ['SERVICE', 'STATUS', 'REPLICAS', 'IMAGE', 'UPDATE', 'PORTS', 'STACK'],
      rows: shown.map((r) => [r.svc.name, statusWord(r), replicasText(r.svc), shortImage(r.svc.image), updateText(r.svc), portsText(r.svc), r.svc.stack ?? '-']),
    },
    { kind: 'context', text: `${rows.length} service${rows.length === 1 ? '' : 's'}, ${unhealthy} not healthy · unhealthy first, then by name · \`/swarm service <name>\` tells why${more}` },
  ];
  return reply(o.title, tone, parts);
}

/** `/swarm services [--stack S] [--filter unhealthy|updating] [--page N]` */
export const services: ReadAction<ArgsFor<'services'>> = {
  async run(ctx, args) {
    let rows = await readAll(ctx);
    if (args.stack) rows = rows.filter((r) => r.svc.stack === args.stack);
    if (args.filter === 'unhealthy') rows = rows.filter((r) => !r.health.healthy);
    if (args.filter === 'updating') rows = rows.filter((r) => r.health.updating);
    const what = [args.stack ? `stack ${args.stack}` : '', args.filter ?? ''].filter(Boolean).join(', ');
    const command = `/swarm services${args.stack ? ` --stack ${args.stack}` : ''}${args.filter ? ` --filter ${args.filter}` : ''}`;
    return servicesReply(ctx, rows, {
      title: `Services of ${ctx.cluster}${what ? ` (${what})` : ''}`,
      page: args.page ?? 1,
      command,
      empty: what ? `No service matches (${what}). Type \`/swarm services\` for all of them.` : `No services run on ${code(ctx.cluster)}.`,
    });
  },
};

/** `/swarm stack <name>`: the services of one stack. */
export const stack: ReadAction<ArgsFor<'stack'>> = {
  async run(ctx, args) {
    const rows = (await readAll(ctx)).filter((r) => r.svc.stack === args.stack);
    if (!rows.length) {
      const stacks = [...new Set((await ctx.swarm.services.list()).map((s) => s.stack).filter(Boolean))];
      throw new UserFacingError('NOT_FOUND', `No stack ${code(args.stack)} on ${code(ctx.cluster)}${stacks.length ? `; there are ${stacks.map((s) => code(s!)).join(', ')}` : ''}. Type \`/swarm stacks\` to list them.`);
    }
    return servicesReply(ctx, rows, { title: `Stack ${args.stack} on ${ctx.cluster}`, page: 1, command: `/swarm services --stack ${args.stack}`, empty: '' });
  },
};

/** `/swarm stacks`: services grouped by their stack label. */
export const stacks: ReadAction<ArgsFor<'stacks'>> = {
  async run(ctx) {
    const rows = await readAll(ctx);
    const byStack = new Map<string, Row[]>();
    for (const r of rows) if (r.svc.stack) byStack.set(r.svc.stack, [...(byStack.get(r.svc.stack) ?? []), r]);
    if (!byStack.size) return reply(`Stacks of ${ctx.cluster}`, 'info', [{ kind: 'text', text: `No stacks on ${code(ctx.cluster)}: no service carries the label \`com.docker.stack.namespace\` (what \`docker stack deploy\` sets).` }]);
    const list = [...byStack].sort(([a], [b]) => naturalCompare(a, b));
    const bad = list.filter(([, rs]) => rs.some((r) => !r.health.healthy));
    return reply(`Stacks of ${ctx.cluster}`, bad.length ? 'warn' : 'ok', [
      {
        kind: 'table',
        noun: 'stacks',
        columns: ['STACK', 'SERVICES', 'HEALTHY', 'NOT HEALTHY'],
        rows: list.map(([name, rs]) => [name, String(rs.length), String(rs.filter((r) => r.health.healthy).length), rs.filter((r) => !r.health.healthy).map((r) => r.svc.name).join(' ') || '-']),
      },
      { kind: 'context', text: `${list.length} stack${list.length === 1 ? '' : 's'}, ${bad.length} with a service not healthy · \`/swarm stack <name>\` lists its services` },
    ]);
  },
};

const nodeName = (nodes: Map<string, SwarmNode>, id?: string) => (id ? (nodes.get(id)?.hostname ?? id.slice(0, 12)) : '-');

/** `/swarm service <name>`: `docker service inspect` and `ps --no-trunc`, read for a person. */
export const service: ReadAction<ArgsFor<'service'>> = {
  async run(ctx, args) {
    const svc = await resolveService(ctx.swarm.services, args.service, ctx.cluster);
    const [tasks, nodeList] = await Promise.all([ctx.swarm.services.tasks({ serviceIds: [svc.id] }), ctx.swarm.nodes.list().catch(() => [] as SwarmNode[])]);
    const nodes = new Map(nodeList.map((n) => [n.id, n]));
    const now = ctx.clock.now().getTime();
    const health = serviceHealth(svc, tasks, now);
    const u = svc.updateConfig;
    const fields: Array<[string, string]> = [
      ['Image', code(shortImage(svc.image))],
      ['Replicas', `${replicasText(svc)} running${svc.mode === 'replicated' ? '' : ' (one per eligible node)'}`],
      ['Update config', `${u.parallelism} at a time, ${u.delayMs / 1000} s apart, ${u.order}, on failure: ${u.failureAction}, monitor ${u.monitorMs / 1000} s`],
    ];
    if (svc.update) fields.push(['Update', `${svc.update.state.replace('_', ' ')}${svc.update.message ? `: ${svc.update.message}` : ''}${svc.update.startedAt ? ` (started ${hhmm(svc.update.startedAt)})` : ''}`]);
    if (svc.previous) fields.push(['Previous spec', `${code(shortImage(svc.previous.image))}${svc.previous.replicas !== undefined ? `, ${svc.previous.replicas} replicas` : ''}: \`/swarm service rollback ${svc.name}\` returns to it`]);
    if (svc.constraints.length) fields.push(['Placement', svc.constraints.map(code).join(', ')]);
    if (svc.networks.length) fields.push(['Networks', svc.networks.map((n) => code(n.slice(0, 12))).join(', ')]);
    if (svc.ports.length) fields.push(['Ports', portsText(svc)]);
    if (svc.secrets.length) fields.push(['Secrets', svc.secrets.map(code).join(', ')]);
    if (svc.configs.length) fields.push(['Configs', svc.configs.map(code).join(', ')]);
    if (svc.stack) fields.push(['Stack', code(svc.stack)]);

    // current tasks first (by slot or node), then the last failures
    const current = tasks.filter((t) => t.desiredState === 'running').sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || nodeName(nodes, a.nodeId).localeCompare(nodeName(nodes, b.nodeId)));
    const failed = tasks.filter((t) => t.desiredState !== 'running' && taskProblem(t)).sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, 5);
    const restarts = tasks.filter((t) => ['failed', 'rejected'].includes(t.state) && now - t.at.getTime() <= HOUR_MS).length;
    const row = (t: SwarmTask) => [
      t.slot !== undefined ? `${svc.name}.${t.slot}` : svc.name,
      nodeName(nodes, t.nodeId),
      t.desiredState === 'running' ? t.state : `${t.state} (was)`,
      span(Math.max(0, now - t.at.getTime())),
      t.exitCode !== undefined ? String(t.exitCode) : '-',
      taskProblem(t) ?? (t.state === 'pending' && t.message ? t.message : '-'),
    ];
    const parts: ReplyPart[] = [{ kind: 'fields', fields }];
    if (health.crashLoop) {
      parts.unshift({
        kind: 'text',
        text: `*Crash loop:* ${health.crashLoop.failures} task failures in the last 10 minutes; the last: ${code(health.crashLoop.lastProblem)}${health.crashLoop.nodeId ? ` on ${code(nodeName(nodes, health.crashLoop.nodeId))}` : ''}. Type \`/swarm service logs ${svc.name}\` to see why.`,
      });
    }
    parts.push({ kind: 'table', noun: 'tasks', columns: ['TASK', 'NODE', 'STATE', 'AGE', 'EXIT', 'ERROR'], rows: [...current, ...failed].map(row) });
    parts.push({ kind: 'context', text: `${restarts} task failure${restarts === 1 ? '' : 's'} in the last hour · ID ${code(svc.id.slice(0, 12))} · spec version ${svc.version}${svc.envNames.length ? ` · env: ${svc.envNames.map(code).join(', ')}` : ''}` });
    const tone: Tone = health.healthy ? 'ok' : health.crashLoop || svc.running === 0 ? 'error' : 'warn';
    const verdict = health.crashLoop ? 'crash loop' : health.healthy ? (health.updating ? 'updating' : 'healthy') : svc.running < svc.desired ? 'below desired' : 'not healthy';
    return reply(`Service ${svc.name} on ${ctx.cluster}: ${verdict}`, tone, parts);
  },
};
