import type { ArgsFor } from '../commands/registry.js';
import { reply } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { InfoProbe } from '../ports.js';
import type { ChangeAction } from './types.js';

/** A manager given by URL, or by hostname among the cluster's configured manager endpoints. */
async function findManager(probes: InfoProbe[], ref: string): Promise<InfoProbe> {
  const byUrl = probes.find((p) => p.endpoint === ref);
  if (byUrl) return byUrl;
  const byName = probes.filter((p) => p.info?.name.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0]!;
  const known = probes.map((p) => (p.info ? `${code(p.info.name)} (${p.endpoint})` : code(p.endpoint))).join(', ');
  throw new UserFacingError('UNKNOWN_NODE', `No configured manager ${code(ref)}. Type a manager's hostname or its Docker API URL; the configured ones are ${known}.`);
}

/** `/swarm unlock <docker-api-url|node>`: a restarted, locked manager, unlocked with the key kept in SSM. */
export const unlock: ChangeAction<ArgsFor<'unlock'>, { url: string; name: string }> = {
  async plan(ctx, { target }) {
    const url = target.url?.url;
    const probe = url ? { endpoint: url, info: await ctx.swarm.nodes.inspectDaemon(url) } : await findManager(await ctx.swarm.nodes.probeManagers(), target.ref);
    if (!probe.info) throw new UserFacingError('ENDPOINTS_UNREACHABLE', `${code(probe.endpoint)} does not answer (${probe.error ?? 'no answer'}); a locked manager still answers \`/info\`. Check that dockerd runs there.`);
    const name = probe.info.name;
    if (probe.info.localState !== 'locked') {
      return {
        summary: `unlock ${code(name)}`,
        details: [],
        data: { url: probe.endpoint, name },
        done: reply(`${name} is not locked`, 'info', [{ kind: 'text', text: `${code(name)} (${code(probe.endpoint)}) is ${probe.info.localState}; nothing to unlock.` }]),
      };
    }
    return { summary: `unlock ${code(name)} (${code(probe.endpoint)}) with the kept unlock key`, details: [], data: { url: probe.endpoint, name } };
  },
  async apply(ctx, _args, plan) {
    const key = await ctx.unlockKeys.get(ctx.cluster);
    if (!key) {
      throw new UserFacingError('NOT_FOUND', `No unlock key is kept for ${code(ctx.cluster)} (SSM \`clusters/${ctx.cluster}/unlock-key\`): autolock was not turned on through swarm-ops. Unlock it by hand with \`docker swarm unlock\`, then type \`/swarm autolock rotate\` so the bot keeps the key.`);
    }
    await ctx.swarm.daemons.unlock(plan.data.url, key);
    return reply(`${plan.data.name} unlocked`, 'ok', [{ kind: 'text', text: `${code(plan.data.name)} is unlocked and rejoins Raft; \`/swarm status\` shows it reachable within seconds.` }]);
  },
};
