import type { ArgsFor } from '../commands/registry.js';
import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import { reply } from '../domain/reply.js';
import { isUserFacing, SwarmError, UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { InfoProbe, SwarmNode } from '../ports.js';
import type { ChangeAction } from './types.js';

interface RecoverPlan {
  url: string;
  name: string;
  advertiseAddr: string;
  oldManagers: string[];
  /** the certificate the survivor showed when planning: its calls are pinned to it */
  certFingerprint?: string;
}

/** The host of a Docker API URL: where the survivor advertises itself. */
const hostOf = (url: string) => /^(?:tcp|https):\/\/\[?([^\]/]+?)\]?:\d+/.exec(url)?.[1] ?? '';

/**
 * `/swarm recover --from <manager>`: only when quorum is lost. Forces a new
 * single-manager cluster on a surviving manager; workers and services stay;
 * the old managers must leave and join again (`/swarm join manager`).
 */
export const recover: ChangeAction<ArgsFor<'recover'>, RecoverPlan> = {
  async plan(ctx, args) {
    try {
      await ctx.swarm.nodes.list();
      throw new UserFacingError('VALIDATION', `${code(ctx.cluster)} has a leader: recovery is only for a swarm that lost quorum. \`/swarm status\` shows its health. Nothing was changed.`);
    } catch (err) {
      if (!(err instanceof SwarmError && err.code === 'QUORUM_LOST')) throw err;
    }
    // a survivor that just lost its peers can be slow to answer /info: one more look before saying it isn't there
    let probes = await ctx.swarm.nodes.probeManagers();
    if (!probes.some((p) => p.info && (p.endpoint === args.from!.ref || p.info.name.toLowerCase() === args.from!.ref.toLowerCase()))) {
      await new Promise((r) => setTimeout(r, 1000));
      probes = await ctx.swarm.nodes.probeManagers();
    }
    const from = pick(probes, args.from!.ref);
    const total = Math.max(from.info!.managers, probes.length);
    const answering = probes.filter((p) => p.info && p.info.localState !== 'inactive');
    const lost = assessQuorum(total, Math.min(answering.length, total));
    const oldManagers = probes.filter((p) => p !== from).map((p) => (p.info ? `${p.info.name} (${p.endpoint})` : p.endpoint));
    return {
      summary: `force a new cluster on ${code(from.info!.name)} (${code(from.endpoint)})`,
      details: [
        { kind: 'text', text: `*Quorum lost:* ${explainQuorum(lost)}` },
        {
          kind: 'list',
          title: 'What this does',
          tone: 'warn',
          items: [
            `${code(from.info!.name)} becomes the only manager of a new Raft cluster (\`docker swarm init --force-new-cluster\`); the swarm's ID, workers, services, networks, secrets and configs stay.`,
            'Every other manager is dropped from Raft. If one of them is still running, it must leave (`docker swarm leave --force`) and join again: `/swarm join manager <its url>` does both.',
            'With one manager there is no fault tolerance until two more managers join: do that right after.',
            'Only do this when the lost managers are not coming back: if they can be restarted, restarting them restores quorum without any of this.',
          ],
        },
        ...(oldManagers.length ? [{ kind: 'list' as const, title: 'Managers to re-join afterwards', items: oldManagers.map(code) }] : []),
      ],
      data: { url: from.endpoint, name: from.info!.name, advertiseAddr: hostOf(from.endpoint), oldManagers, ...(from.info!.apiCertFingerprint ? { certFingerprint: from.info!.apiCertFingerprint } : {}) },
      // the approver approves this daemon (its engine and its TLS certificate), not whatever answers at that address later
      binding: { engineId: from.info!.engineId, certificate: from.info!.apiCertFingerprint ?? 'unknown' },
    };
  },
  async apply(ctx, _args, plan) {
    const { url, name, advertiseAddr, oldManagers } = plan.data;
    // every call to the survivor goes to the daemon that was approved or nowhere
    const pin = plan.data.certFingerprint ? { certFingerprint: plan.data.certFingerprint } : undefined;
    try {
      await ctx.swarm.daemons.forceNewCluster(url, advertiseAddr, pin);
    } catch (err) {
      // with autolock on, the survivor restarts its swarm locked: the kept key brings it back
      const key = err instanceof SwarmError && /locked/i.test(err.message) ? await ctx.unlockKeys.get(ctx.cluster) : undefined;
      if (!key) throw err;
      ctx.progress(`${name} is locked (autolock): unlocking it with the kept key`);
      await ctx.swarm.daemons.unlock(url, key, pin);
      // whether it was locked before the init or came back locked from it, forcing again is safe on a sole manager
      await ctx.swarm.daemons.forceNewCluster(url, advertiseAddr, pin).catch(async (again) => {
        if (!(again instanceof SwarmError && /locked/i.test(again.message))) throw again;
        await ctx.swarm.daemons.unlock(url, key, pin);
      });
    }
    const nodes = await waitForLeader(ctx, 60_000);
    const managers = nodes.filter((n) => n.role === 'manager' && n.manager?.reachability === 'reachable');
    const workers = nodes.filter((n) => n.role === 'worker');
    return reply(`${ctx.cluster} recovered on ${name}`, 'warn', [
      { kind: 'text', text: `${code(name)} leads a new single-manager cluster. ${explainQuorum(assessQuorum(managers.length, managers.length))}` },
      {
        kind: 'fields',
        fields: [
          ['Managers', String(managers.length)],
          ['Workers', `${workers.length} (${workers.filter((w) => w.state === 'ready').length} ready${workers.some((w) => w.state === 'unknown') ? '; the others reconnect within a minute' : ''})`],
          ['Services', 'kept, and running where their nodes are'],
        ],
      },
      ...(oldManagers.length ? [{ kind: 'list' as const, title: 'Re-join the old managers now', items: oldManagers.map((m) => `\`/swarm join manager ${m.replace(/^.*\((.*)\)$/, '$1')}\``) }] : []),
    ]);
  },
};

function pick(probes: InfoProbe[], ref: string): InfoProbe {
  const match = probes.filter((p) => p.endpoint === ref || p.info?.name.toLowerCase() === ref.toLowerCase());
  const found = match[0];
  if (!found) {
    const known = probes.map((p) => (p.info ? `${code(p.info.name)} (${p.endpoint})` : `${code(p.endpoint)} (not answering)`)).join(', ');
    throw new UserFacingError('UNKNOWN_NODE', `No configured manager ${code(ref)}. Type one of: ${known}.`);
  }
  if (!found.info) throw new UserFacingError('ENDPOINTS_UNREACHABLE', `${code(ref)} does not answer; recover from a manager that is up and still holds the swarm's state.`);
  if (found.info.localState === 'locked') throw new UserFacingError('VALIDATION', `${code(found.info.name)} is locked: type \`/swarm unlock ${found.info.name}\` first.`);
  if (found.info.localState !== 'active' && found.info.localState !== 'pending' && found.info.localState !== 'error') {
    throw new UserFacingError('VALIDATION', `${code(found.info.name)} is not part of a swarm (${found.info.localState}); recover from a manager that was.`);
  }
  return found;
}

async function waitForLeader(ctx: Parameters<typeof recover.apply>[0], limitMs: number): Promise<SwarmNode[]> {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      return await ctx.swarm.nodes.list();
    } catch (err) {
      if (Date.now() > until || !isUserFacing(err)) throw err;
      ctx.progress('waiting for the new cluster to elect its leader');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
