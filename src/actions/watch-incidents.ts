import type { ArgsFor } from '../commands/registry.js';
import { didYouMean } from '../commands/parse.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { INCIDENT_KINDS, type IncidentKind, type IncidentStore, type WatchIncident, type WatchMute } from '../ports.js';
import { code } from '../render/escape.js';
import { hhmm, span } from '../domain/time-format.js';
import { incidentTitle } from '../render/incident-kinds.js';
import { resolveNode } from './resolve-node.js';
import type { ChangeAction, ReadAction, ReadContext } from './types.js';

/** "after 3 min"; a grace of 0 is no wait at all */
const afterGrace = (minutes: number) => (minutes > 0 ? `after ${minutes} min` : 'at once');

const isKind = (word: string): word is IncidentKind => (INCIDENT_KINDS as readonly string[]).includes(word);

function storeOf(ctx: ReadContext): IncidentStore {
  if (!ctx.incidents) {
    throw new UserFacingError('NOT_FOUND', 'The watch keeps its incidents in the bot\'s table, which this runner has not got. Locally, `npm start -- --watch-once` runs one watch pass.');
  }
  return ctx.incidents;
}

const state = (i: WatchIncident, graceMinutes: number | undefined) =>
  i.status === 'pending' ? `seen, posted ${afterGrace(graceMinutes ?? 3)}` : i.muted && !i.ts ? 'muted' : i.clearSince !== undefined ? 'clearing' : 'open';

const muteItem = (m: WatchMute) => `${code(m.target)} until ${hhmm(m.until)} (${new Date(m.until).toISOString().slice(0, 10)}), by <@${m.by}>`;

/** `/swarm watch`: the cluster's open incidents and mutes, from the bot's table (no swarm is asked). */
export const watch: ReadAction<ArgsFor<'watch'>> = {
  async run(ctx) {
    const { incidents, mutes, state: last } = await storeOf(ctx).load(ctx.cluster);
    const settings = ctx.policy.clusters[ctx.cluster]?.watch;
    const open = incidents.filter((i) => i.status === 'open');
    const rank = (i: WatchIncident) => INCIDENT_KINDS.indexOf(i.kind);
    const parts: ReplyPart[] = [];
    if (!settings) {
      parts.push({ kind: 'text', text: `The watch is off for ${code(ctx.cluster)}: give it \`clusters.${ctx.cluster}.watch\` (an alert channel, and \`graceMinutes\`) in the policy.` });
    }
    if (incidents.length) {
      parts.push({
        kind: 'table',
        noun: 'incidents',
        columns: ['INCIDENT', 'SINCE', 'STATE'],
        rows: [...incidents].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name)).map((i) => [incidentTitle(i), hhmm(i.since), state(i, settings?.graceMinutes)]),
      });
    } else if (settings) parts.push({ kind: 'text', text: 'No open incidents: all quiet.' });
    parts.push(mutes.length ? { kind: 'list', title: `Mutes (${mutes.length})`, items: mutes.map(muteItem) } : { kind: 'text', text: 'No mutes.' });
    if (settings) {
      parts.push({
        kind: 'context',
        text: `Alerts go to <#${settings.channel}> ${afterGrace(settings.graceMinutes)}${last?.lastPassAt ? ` · last checked ${hhmm(last.lastPassAt)}` : ' · not checked yet'} · \`/swarm watch mute <node|service|kind> 2h\` silences one`,
      });
    }
    return reply(`Watch of ${ctx.cluster}: ${open.length ? `${open.length} open incident${open.length === 1 ? '' : 's'}` : 'no open incidents'}`, open.length ? 'warn' : 'ok', parts);
  },
};

type MuteTarget = Pick<WatchMute, 'target' | 'kind' | 'nodeId' | 'serviceId'>;

/** A service by name, ID or unique ID prefix, when the swarm can be asked. */
async function serviceNamed(ctx: ReadContext, raw: string) {
  const services = await ctx.swarm.services.list().catch(() => []);
  const byPrefix = raw.length >= 4 ? services.filter((s) => s.id.startsWith(raw)) : [];
  return services.find((s) => s.name === raw) ?? services.find((s) => s.name.toLowerCase() === raw.toLowerCase()) ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
}

/** An incident kind, a node (by hostname or ID prefix) or a service (by name or ID); one the swarm can't be asked about right now is taken by its name. */
async function muteTarget(ctx: ReadContext, raw: string): Promise<MuteTarget & { shown: string }> {
  const word = raw.toLowerCase();
  if (isKind(word)) return { target: word, kind: word, shown: `${code(word)} incidents` };
  let nodes;
  try {
    nodes = await ctx.swarm.nodes.list();
  } catch {
    // no leader, no answer: exactly when a mute is wanted; it then matches the hostname as typed
    return { target: word, shown: `incidents of ${code(raw)}` };
  }
  try {
    const node = resolveNode(nodes, raw);
    return { target: node.hostname.toLowerCase(), nodeId: node.id, shown: `incidents of ${code(node.hostname)}` };
  } catch (err) {
    if (!(err instanceof UserFacingError) || err.code !== 'UNKNOWN_NODE') throw err;
    const service = await serviceNamed(ctx, raw);
    if (service) return { target: service.name.toLowerCase(), serviceId: service.id, shown: `incidents and outside changes of service ${code(service.name)}` };
    const kind = didYouMean(word, [...INCIDENT_KINDS]);
    throw new UserFacingError(
      'UNKNOWN_NODE',
      `${code(raw)} is neither a node nor a service of ${code(ctx.cluster)}, nor an incident kind.${kind ? ` Did you mean \`${kind}\`?` : ''} Kinds: ${INCIDENT_KINDS.map((k) => `\`${k}\``).join(', ')}; \`/swarm nodes\` and \`/swarm services\` list the nodes and services.`,
    );
  }
}

/** `/swarm watch mute <node|service|kind> <duration>`: tracked, listed, not posted, until the mute ends. */
export const watchMute: ChangeAction<ArgsFor<'watch mute'>, { mute: WatchMute; shown: string }> = {
  async plan(ctx, args) {
    const { shown, ...target } = await muteTarget(ctx, args.target);
    const now = ctx.clock.now().getTime();
    const mute: WatchMute = { cluster: ctx.cluster, ...target, until: now + args.duration, by: ctx.user, at: now };
    return {
      summary: `mute the watch's ${shown} on ${code(ctx.cluster)} for ${span(args.duration)} (until ${hhmm(mute.until)})`,
      details: [{ kind: 'text', text: 'Muted incidents are still tracked and listed by `/swarm watch`; they are not posted. One still open when the mute ends is posted then.' }],
      data: { mute, shown },
    };
  },
  async apply(ctx, args, { data: { mute, shown } }) {
    await storeOf(ctx).putMute(mute);
    return reply(`Muted until ${hhmm(mute.until)}: ${args.target} on ${ctx.cluster}`, 'ok', [
      { kind: 'text', text: `The watch keeps tracking the ${shown} on ${code(ctx.cluster)} without posting them until ${hhmm(mute.until)}.` },
      { kind: 'context', text: `${code(`/swarm watch unmute ${mute.target} --cluster ${ctx.cluster}`)} ends it sooner.` },
    ]);
  },
};

/** `/swarm watch unmute <node|service|kind>`. */
export const watchUnmute: ChangeAction<ArgsFor<'watch unmute'>, WatchMute> = {
  async plan(ctx, args) {
    // where no table is kept there are no mutes to look at; apply says so
    const { mutes } = ctx.incidents ? await ctx.incidents.load(ctx.cluster) : { mutes: [] };
    const word = args.target.toLowerCase();
    const mute = mutes.find((m) => m.target === word || (word.length >= 4 && (m.nodeId?.startsWith(word) || m.serviceId?.startsWith(word))));
    const summary = `unmute the watch's ${code(mute?.target ?? word)} on ${code(ctx.cluster)}`;
    if (!mute && ctx.incidents) {
      return {
        summary,
        details: [],
        data: { cluster: ctx.cluster, target: word, until: 0, by: ctx.user, at: 0 },
        done: reply(`No mute for ${args.target} on ${ctx.cluster}`, 'info', [
          { kind: 'text', text: `${code(args.target)} is not muted on ${code(ctx.cluster)}${mutes.length ? `; muted are ${mutes.map((m) => code(m.target)).join(', ')}` : ''}. Nothing was changed.` },
        ]),
      };
    }
    return {
      summary,
      details: mute ? [{ kind: 'text', text: `Its incidents are posted again from the next check on (muted until ${hhmm(mute.until)}).` }] : [],
      data: mute ?? { cluster: ctx.cluster, target: word, until: 0, by: ctx.user, at: 0 },
    };
  },
  async apply(ctx, _args, plan) {
    await storeOf(ctx).removeMute(ctx.cluster, plan.data.target);
    return reply(`Unmuted: ${plan.data.target} on ${ctx.cluster}`, 'ok', [
      { kind: 'text', text: `The watch posts ${plan.data.kind ? code(plan.data.kind) : `${code(plan.data.target)}'s`} incidents on ${code(ctx.cluster)} again from its next check.` },
    ]);
  },
};
