/**
 * Changes to services, each a watched rollout: `service scale`, `restart`,
 * `update --image`, `rollback` and `stack rollback`. The plan says exactly
 * what changes (what an approver sees) and binds the service's ID and spec;
 * apply sends one change and follows it to a verdict.
 */
import { createHash } from 'node:crypto';
import type { ArgsFor } from '../commands/registry.js';
import { reply, type Reply, } from '../domain/reply.js';
import { span } from '../domain/time-format.js';
import { isUserFacing, UserFacingError } from '../errors.js';
import type { ServiceChange, SwarmNode, SwarmService } from '../ports.js';
import { code } from '../render/escape.js';
import { followRollout } from '../shared/rollout.js';
import { rolloutReply, type RolloutResult } from '../shared/rollout-reply.js';
import { resolveService, shortImage } from '../shared/service-health.js';
import type { ChangeAction, ChangeContext, Plan, ReadContext } from './types.js';

/** how often a rollout is looked at: Slack edits are paced at about one a second anyway */
const POLL_MS = 2_000;

interface Step {
  id: string;
  name: string;
  change: ServiceChange;
  /** "registry/app:1.4.1 → registry/app:1.4.2" */
  what: string;
}

const updateConfigText = (s: SwarmService) => {
  const u = s.updateConfig;
  return `${u.parallelism} at a time, ${u.delayMs / 1000} s apart, ${u.order}, on failure ${u.failureAction}`;
};

/** What an approver saw: the services (by ID) and their specs, hashed so that a stack of any size fits a signed button */
function binding(services: SwarmService[]): Record<string, string> {
  const digest = (parts: string[]) => (parts.length === 1 ? parts[0]! : createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 32));
  return { service: digest(services.map((s) => s.id)), spec: digest(services.map((s) => s.fingerprint)) };
}

function stepPlan(ctx: ReadContext, services: SwarmService[], steps: Step[], summary: string): Plan<Step[]> {
  return {
    summary,
    details: [
      { kind: 'table', noun: 'services', columns: ['SERVICE', 'CHANGE', 'ROLLOUT'], rows: steps.map((st) => [st.name, st.what, updateConfigText(services.find((s) => s.id === st.id)!)]) },
      { kind: 'context', text: `The answer follows the rollout to its verdict (up to ${span(ctx.policy.rolloutFollowSeconds * 1000)}).` },
    ],
    data: steps,
    binding: binding(services),
  };
}

/** Follows each step's rollout in turn, sharing the time the policy allows; one not done by then goes to the watch. */
async function followAll(ctx: ChangeContext, steps: Step[]): Promise<RolloutResult[]> {
  const until = ctx.clock.now().getTime() + ctx.policy.rolloutFollowSeconds * 1000;
  const out: RolloutResult[] = [];
  for (const step of steps) {
    const view = await followRollout({
      services: ctx.swarm.services,
      serviceId: step.id,
      op: step.change.kind,
      followMs: Math.max(0, until - ctx.clock.now().getTime()),
      pollMs: POLL_MS,
      progress: (t) => ctx.progress(steps.length > 1 ? `${t} (${out.length + 1} of ${steps.length} services)` : t),
      now: () => ctx.clock.now().getTime(),
    });
    const handedOn = !view.verdict && !view.gone && ctx.handOff ? await ctx.handOff({ cluster: ctx.cluster, serviceId: step.id, serviceName: step.name, op: step.change.kind, what: step.what }) : false;
    out.push({ name: step.name, what: step.what, view, ...(handedOn ? { handedOn } : {}) });
  }
  return out;
}

async function verdictReply(ctx: ChangeContext, results: RolloutResult[], verb: string): Promise<Reply> {
  const hosts = new Map((await ctx.swarm.nodes.list().catch(() => [] as SwarmNode[])).map((n) => [n.id, n.hostname]));
  const sign = ctx.signer ? await ctx.signer().catch(() => undefined) : undefined;
  return rolloutReply(results, { cluster: ctx.cluster, verb, hosts, followed: span(ctx.policy.rolloutFollowSeconds * 1000), ...(sign ? { sign } : {}) });
}

async function service(ctx: ReadContext, ref: string) {
  return resolveService(ctx.swarm.services, ref, ctx.cluster);
}

/** how long the watch takes the service's next spec change as this request's (it is sent right after) */
const OWN_CHANGE_MS = 15 * 60_000;

/**
 * Tells the watch, before the change is sent, that the next spec change of
 * this service is swarm-ops' own: it is not posted as a change made outside.
 * A note that can't be written never stops the change (the watch then posts it).
 */
async function noteOwnChange(ctx: ChangeContext, serviceId: string): Promise<void> {
  const at = ctx.clock.now().getTime();
  await ctx.incidents?.noteOwnChange({ cluster: ctx.cluster, serviceId, requestId: ctx.requestId, at, until: at + OWN_CHANGE_MS }).catch(() => undefined);
}

function applyAll(verb: string | ((args: never) => string)) {
  return async (ctx: ChangeContext, args: unknown, plan: Plan<Step[]>): Promise<Reply> => {
    const warnings: string[] = [];
    const sent: Step[] = [];
    const refused: RolloutResult[] = [];
    for (const step of plan.data) {
      try {
        await noteOwnChange(ctx, step.id);
        warnings.push(...(await ctx.swarm.services.update(step.id, step.change)).warnings);
        sent.push(step);
      } catch (err) {
        // the first refused with nothing sent yet: nothing changed, the error is the answer
        if (!sent.length && !refused.length) throw err;
        refused.push({ name: step.name, what: step.what, view: {} as RolloutResult['view'], notChanged: isUserFacing(err) ? err.message : 'Docker did not take the change (see the logs)' });
      }
    }
    const r = await verdictReply(ctx, [...(await followAll(ctx, sent)), ...refused], typeof verb === 'string' ? verb : verb(args as never));
    return warnings.length ? { ...r, parts: [...r.parts, { kind: 'list', title: 'Docker warned', tone: 'warn', items: warnings.map((w) => code(w.slice(0, 300))) }] } : r;
  };
}

/** `/swarm service scale web=6 [api=3 …]` */
export const serviceScale: ChangeAction<ArgsFor<'service scale'>, Step[]> = {
  async plan(ctx, args) {
    const services = await Promise.all(args.targets.map((t) => service(ctx, t.name)));
    const global = services.filter((s) => s.mode !== 'replicated');
    if (global.length) throw new UserFacingError('VALIDATION', `${global.map((s) => code(s.name)).join(', ')} ${global.length === 1 ? 'is a global service: it runs' : 'are global services: they run'} one task on every eligible node and can't be scaled. Change its placement constraints or drain nodes instead.`);
    const steps = args.targets
      .map((t, i) => ({ t, s: services[i]! }))
      .filter(({ t, s }) => s.replicas !== t.replicas)
      .map(({ t, s }) => ({ id: s.id, name: s.name, change: { kind: 'scale' as const, replicas: t.replicas }, what: `replicas ${s.replicas} → ${t.replicas}` }));
    if (!steps.length) return { ...stepPlan(ctx, services, [], ''), done: reply(`Nothing to scale on ${ctx.cluster}`, 'ok', [{ kind: 'text', text: `${services.map((s) => `${code(s.name)} already has ${s.replicas} replicas`).join('; ')}. Nothing was changed.` }]) };
    return stepPlan(ctx, services, steps, `scale ${steps.map((s) => `${code(s.name)} (${s.what})`).join(', ')} on ${code(ctx.cluster)}`);
  },
  apply: applyAll('Scale'),
};

/** `/swarm service restart web` */
export const serviceRestart: ChangeAction<ArgsFor<'service restart'>, Step[]> = {
  async plan(ctx, args) {
    const s = await service(ctx, args.service);
    const step = { id: s.id, name: s.name, change: { kind: 'restart' as const }, what: `restart every task (${s.mode === 'global' ? `global, ${s.desired}` : s.replicas} tasks)` };
    return stepPlan(ctx, [s], [step], `restart every task of ${code(s.name)} on ${code(ctx.cluster)}, ${updateConfigText(s)}`);
  },
  apply: applyAll('Restart'),
};

/** `/swarm service update web --image registry/app:1.4.2` */
export const serviceUpdate: ChangeAction<ArgsFor<'service update'>, Step[]> = {
  async plan(ctx, args) {
    const s = await service(ctx, args.service);
    const image = args.image!;
    if (s.image === image) return { ...stepPlan(ctx, [s], [], ''), done: reply(`${s.name} already runs ${shortImage(image)}`, 'ok', [{ kind: 'text', text: `${code(s.name)} already runs ${code(image)}. Nothing was changed.` }]) };
    const step = { id: s.id, name: s.name, change: { kind: 'image' as const, image }, what: `image ${shortImage(s.image)} → ${shortImage(image)}` };
    return stepPlan(ctx, [s], [step], `update ${code(s.name)} on ${code(ctx.cluster)} from ${code(shortImage(s.image))} to ${code(shortImage(image))}`);
  },
  apply: applyAll('Update'),
};

function rollbackStep(s: SwarmService): Step {
  const prev = s.previous!;
  const changes = [prev.image !== s.image ? `image ${shortImage(s.image)} → ${shortImage(prev.image)}` : '', prev.replicas !== undefined && prev.replicas !== s.replicas ? `replicas ${s.replicas} → ${prev.replicas}` : ''].filter(Boolean);
  return { id: s.id, name: s.name, change: { kind: 'rollback' }, what: changes.join(', ') || 'the previous spec' };
}

/** `/swarm service rollback web`: Docker's previous spec */
export const serviceRollback: ChangeAction<ArgsFor<'service rollback'>, Step[]> = {
  async plan(ctx, args) {
    const s = await service(ctx, args.service);
    if (!s.previous) throw new UserFacingError('CONFLICT', `${code(s.name)} has no previous spec to roll back to (it was never updated). Nothing was changed; type \`/swarm service update ${s.name} --image …\` to run another image.`);
    const step = rollbackStep(s);
    return stepPlan(ctx, [s], [step], `roll ${code(s.name)} back on ${code(ctx.cluster)} (${step.what})`);
  },
  apply: applyAll('Rollback'),
};

/** `/swarm stack rollback shop`: every service of the stack that has a previous spec, as one request */
export const stackRollback: ChangeAction<ArgsFor<'stack rollback'>, Step[]> = {
  async plan(ctx, args) {
    const all = await ctx.swarm.services.list();
    const members = all.filter((s) => s.stack === args.stack);
    if (!members.length) throw new UserFacingError('NOT_FOUND', `No stack ${code(args.stack)} on ${code(ctx.cluster)}. Type \`/swarm stacks\` to list them.`);
    const withPrevious = members.filter((s) => s.previous);
    if (!withPrevious.length) throw new UserFacingError('CONFLICT', `No service of stack ${code(args.stack)} has a previous spec: there is nothing to roll back. Nothing was changed.`);
    const steps = withPrevious.map(rollbackStep);
    const skipped = members.filter((s) => !s.previous);
    const plan = stepPlan(ctx, withPrevious, steps, `roll back ${steps.length} service${steps.length === 1 ? '' : 's'} of stack ${code(args.stack)} on ${code(ctx.cluster)}: ${steps.map((s) => code(s.name)).join(', ')}`);
    return skipped.length ? { ...plan, details: [...plan.details, { kind: 'context', text: `Left as they are (no previous spec): ${skipped.map((s) => code(s.name)).join(', ')}.` }] } : plan;
  },
  apply: applyAll((args: ArgsFor<'stack rollback'>) => `Stack ${args.stack} rollback`),
};
