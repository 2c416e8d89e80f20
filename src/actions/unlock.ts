import type { ArgsFor } from '../commands/registry.js';
import { normalizeIp } from '../domain/ip-address.js';
import { reply } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { InfoProbe, SwarmReader } from '../ports.js';
import type { ChangeAction, ChangeContext } from './types.js';
import { checkJoinCidrs } from './join.js';

/** A manager given by URL, or by hostname among the cluster's configured manager endpoints. */
async function findManager(probes: InfoProbe[], ref: string): Promise<InfoProbe> {
  const byUrl = probes.find((p) => p.endpoint === ref);
  if (byUrl) return byUrl;
  const byName = probes.filter((p) => p.info?.name.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  const known = probes.map((p) => (p.info ? `${code(p.info.name)} (${p.endpoint})` : code(p.endpoint))).join(', ');
  throw new UserFacingError('UNKNOWN_NODE', `No configured manager ${code(ref)}. Type a manager's hostname or its Docker API URL; the configured ones are ${known}.`);
}

/** host (an address in canonical form) and port of a Docker API URL or a `host:port` address */
function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:(?:tcp|https):\/\/)?\[?([^\]/]+?)\]?:(\d+)\/?$/.exec(address.trim());
  return m ? { host: (normalizeIp(m[1]!) ?? m[1]!).toLowerCase(), port: Number(m[2]) } : undefined;
}

/**
 * Where the unlock key may go: one of the cluster's configured manager
 * endpoints, or the address of a manager Docker lists for this swarm (on a
 * port the configured endpoints use), inside `joinCidrs` when the policy sets
 * them. Decided before anything connects to the URL: any other daemon, even
 * one with a certificate from the cluster's CA that says it is locked, gets
 * nothing and is not contacted.
 */
async function managerAt(swarm: SwarmReader, ctx: { cluster: string; policy: ChangeContext['policy'] }, url: { url: string; host: string; port: number }): Promise<InfoProbe> {
  const probes = await swarm.nodes.probeManagers();
  const configured = probes.find((p) => p.endpoint === url.url || sameAddress(hostPort(p.endpoint), url));
  if (configured) return configured;
  const ports = new Set(probes.map((p) => hostPort(p.endpoint)?.port));
  // without a leader the list can't be read: then only the configured endpoints count
  const members = await swarm.nodes.list().catch(() => []);
  const listed = members.some((n) => n.role === 'manager' && n.manager?.addr && hostPort(n.manager.addr)?.host === hostPort(url.url)?.host);
  if (!listed || !ports.has(url.port)) {
    throw new UserFacingError(
      'UNKNOWN_NODE',
      `${code(url.url)} is not one of ${code(ctx.cluster)}'s managers (its configured endpoints, or a manager's address on the swarm's Docker API port). Nothing was sent to it. Type a manager's hostname, e.g. \`/swarm unlock ${probes.find((p) => p.info)?.info?.name ?? 'lab-n2'}\`.`,
    );
  }
  checkJoinCidrs(ctx.policy.clusters[ctx.cluster]?.joinCidrs, ctx.cluster, url, 'unlocks managers');
  return { endpoint: url.url, info: await swarm.nodes.inspectDaemon(url.url) };
}

const sameAddress = (a: { host: string; port: number } | undefined, b: { host: string; port: number }) =>
  Boolean(a && a.port === b.port && a.host === (normalizeIp(b.host) ?? b.host).toLowerCase());

/** `/swarm unlock <docker-api-url|node>`: a restarted, locked manager, unlocked with the kept key, over a connection pinned to the certificate it showed. */
export const unlock: ChangeAction<ArgsFor<'unlock'>, { url: string; name: string; certFingerprint?: string }> = {
  async plan(ctx, { target }) {
    const url = target.url;
    const probe = url ? await managerAt(ctx.swarm, ctx, url) : await findManager(await ctx.swarm.nodes.probeManagers(), target.ref);
    if (!probe.info) throw new UserFacingError('ENDPOINTS_UNREACHABLE', `${code(probe.endpoint)} does not answer (${probe.error ?? 'no answer'}); a locked manager still answers \`/info\`. Check that dockerd runs there.`);
    const name = probe.info.name;
    const data = { url: probe.endpoint, name, ...(probe.info.apiCertFingerprint ? { certFingerprint: probe.info.apiCertFingerprint } : {}) };
    if (probe.info.localState !== 'locked') {
      return {
        summary: `unlock ${code(name)}`,
        details: [],
        data,
        done: reply(`${name} is not locked`, 'info', [{ kind: 'text', text: `${code(name)} (${code(probe.endpoint)}) is ${probe.info.localState}; nothing to unlock.` }]),
      };
    }
    return { summary: `unlock ${code(name)} (${code(probe.endpoint)}) with the kept unlock key`, details: [], data };
  },
  async apply(ctx, _args, plan) {
    const key = await ctx.unlockKeys.get(ctx.cluster);
    if (!key) {
      throw new UserFacingError('NOT_FOUND', `No unlock key is kept for ${code(ctx.cluster)} (SSM \`clusters/${ctx.cluster}/unlock-key\`): autolock was not turned on through swarm-ops. Unlock it by hand with \`docker swarm unlock\`, then type \`/swarm autolock rotate\` so the bot keeps the key.`);
    }
    // the key goes to the daemon that showed this certificate when planning, or nowhere
    await ctx.swarm.daemons.unlock(plan.data.url, key, plan.data.certFingerprint ? { certFingerprint: plan.data.certFingerprint } : undefined);
    return reply(`${plan.data.name} unlocked`, 'ok', [{ kind: 'text', text: `${code(plan.data.name)} is unlocked and rejoins Raft; \`/swarm status\` shows it reachable within seconds.` }]);
  },
};
