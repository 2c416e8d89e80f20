import { code } from '../render/escape.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { SwarmError } from '../errors.js';
import { assessQuorum, evenManagersAdvice, explainQuorum, type QuorumAssessment } from '../domain/quorum.js';
import { reply, type Reply, type ReplyPart, type Tone } from '../domain/reply.js';
import type { DaemonInfo, InfoProbe, SwarmNetwork, SwarmNode } from '../ports.js';
import type { ArgsFor } from '../commands/registry.js';
import type { ReadAction, ReadContext } from './types.js';
import { quorumLostStatus } from '../shared/quorum-lost.js';

const ZONE_LABELS = ['az', 'zone', 'topology.kubernetes.io/zone'];
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export const zoneOf = (n: SwarmNode): string | undefined => ZONE_LABELS.map((l) => n.labels[l]).find(Boolean);

export function isQuorumLost(err: unknown): boolean {
  return err instanceof SwarmError && err.code === 'QUORUM_LOST';
}

const TONE: Record<QuorumAssessment['verdict'], Tone> = { healthy: 'ok', degraded: 'warn', 'quorum lost': 'error' };

/** Every warning of the operating advice that applies; pure, so it is tested on its own. */
export function statusWarnings(input: {
  nodes: SwarmNode[];
  quorum: QuorumAssessment;
  info?: DaemonInfo;
  networks?: SwarmNetwork[];
  now: Date;
}): string[] {
  const { nodes, info, now } = input;
  const managers = nodes.filter((n) => n.role === 'manager');
  const warnings: string[] = [];
  const names = (list: SwarmNode[]) => list.map((n) => `\`${n.hostname}\``).join(', ');

  if (managers.length === 1) warnings.push('Only one manager: no high availability. Promote two more nodes to tolerate one failure.');
  else if (managers.length % 2 === 0 && managers.length > 0)
    warnings.push(evenManagersAdvice(managers.length));
  if (managers.length > 7) warnings.push(`${managers.length} managers: more than 7 slows every Raft commit; 3, 5 or 7 is the advice.`);

  const unreachable = managers.filter((m) => m.manager?.reachability !== 'reachable');
  if (unreachable.length) warnings.push(`Unreachable manager${unreachable.length > 1 ? 's' : ''}: ${names(unreachable)}.`);
  const downManagers = managers.filter((m) => m.state !== 'ready' && !unreachable.includes(m));
  if (downManagers.length) warnings.push(`Manager${downManagers.length > 1 ? 's' : ''} not ready: ${names(downManagers)}.`);

  const downWorkers = nodes.filter((n) => n.role === 'worker' && n.state !== 'ready');
  if (downWorkers.length) {
    const shown = downWorkers.slice(0, 10);
    warnings.push(
      `${downWorkers.length} node${downWorkers.length > 1 ? 's' : ''} not ready: ${shown.map((n) => `\`${n.hostname}\` (${n.state})`).join(', ')}${downWorkers.length > shown.length ? ', …' : ''}.`,
    );
  }
  if (nodes.length && !nodes.some((n) => n.state === 'ready' && n.availability === 'active'))
    warnings.push('No node is both ready and active: services can\'t be scheduled anywhere. `/swarm activate <node>` brings one back.');

  const drainedManagers = managers.filter((m) => m.availability === 'drain');
  if (drainedManagers.length)
    warnings.push(`Drained manager${drainedManagers.length > 1 ? 's' : ''}: ${names(drainedManagers)} (still voting in Raft, running no tasks).`);

  const zones = managers.map(zoneOf);
  if (managers.length > 1 && zones.every(Boolean) && new Set(zones).size === 1)
    warnings.push(`All managers are in one availability zone (\`${zones[0]}\`): losing that zone loses quorum.`);

  const versions = new Map<string, number>();
  for (const n of nodes) versions.set(n.engineVersion, (versions.get(n.engineVersion) ?? 0) + 1);
  if (versions.size > 1)
    warnings.push(
      `Engine version skew: ${[...versions].sort((a, b) => b[1] - a[1]).map(([v, c]) => `${v} (${c})`).join(', ')}.`,
    );

  const expiring = (label: string, at: Date | undefined) => {
    if (!at) return;
    const days = Math.floor((at.getTime() - now.getTime()) / DAY_MS);
    if (days < 0) warnings.push(`The ${label} expired on ${at.toISOString().slice(0, 10)}.`);
    else if (days < EXPIRY_WARNING_DAYS) warnings.push(`The ${label} expires in ${days} day${days === 1 ? '' : 's'} (${at.toISOString().slice(0, 10)}).`);
  };
  expiring('swarm root CA certificate', info?.caExpiresAt);
  expiring(`TLS certificate of the manager API at ${info?.endpoint ?? ''}`.trim(), info?.apiCertExpiresAt);

  const windows = nodes.filter((n) => n.os.toLowerCase() === 'windows');
  const encrypted = (input.networks ?? []).filter((n) => n.encrypted);
  if (windows.length && encrypted.length)
    warnings.push(
      `Encrypted overlay${encrypted.length > 1 ? 's' : ''} ${encrypted.map((n) => `\`${n.name}\``).join(', ')} with Windows node${windows.length > 1 ? 's' : ''} ${names(windows)}: encrypted overlays are not supported on Windows.`,
    );

  return warnings;
}

export function sortNodes(nodes: SwarmNode[]): SwarmNode[] {
  const rank = (n: SwarmNode) => (n.manager?.leader ? 0 : n.role === 'manager' ? 1 : n.state !== 'ready' ? 2 : 3);
  return [...nodes].sort((a, b) => rank(a) - rank(b) || naturalCompare(a.hostname, b.hostname));
}

function countNodes(nodes: SwarmNode[]): string {
  const ready = nodes.filter((n) => n.state === 'ready').length;
  const parts = [`${nodes.length} total`, `${ready} ready`];
  const notReady = nodes.length - ready;
  if (notReady) parts.push(`${notReady} not ready`);
  const drained = nodes.filter((n) => n.availability === 'drain').length;
  if (drained) parts.push(`${drained} drained`);
  return parts.join(', ');
}

function healthyStatus(
  cluster: string,
  nodes: SwarmNode[],
  info: DaemonInfo | undefined,
  networks: SwarmNetwork[],
  now: Date,
  endpoint: string | undefined,
  locked: InfoProbe[] = [],
): Reply {
  const managers = sortNodes(nodes.filter((n) => n.role === 'manager'));
  const reachable = managers.filter((m) => m.manager?.reachability === 'reachable').length;
  const quorum = assessQuorum(managers.length, reachable);
  const leader = managers.find((m) => m.manager?.leader);
  const warnings = [
    ...locked.map((p) => `${code(p.info!.name)} is locked (autolock) and takes no part in Raft until unlocked: type \`/swarm unlock ${p.info!.name}\`.`),
    ...statusWarnings({ nodes, quorum, info, networks, now }),
  ];
  const parts: ReplyPart[] = [
    { kind: 'text', text: `*Verdict: ${quorum.verdict}.* ${explainQuorum(quorum)}` },
    {
      kind: 'fields',
      fields: [
        ['Managers', `${managers.length} (leader: ${leader ? `\`${leader.hostname}\`` : 'none'})`],
        ['Workers', String(nodes.length - managers.length)],
        ['Nodes', countNodes(nodes)],
        ['Fault tolerance', `${quorum.remainingTolerance} of ${quorum.designedTolerance} designed`],
      ],
    },
    {
      kind: 'table',
      noun: 'managers',
      columns: ['MANAGER', 'REACHABILITY', 'STATUS', 'AVAILABILITY', 'ADDRESS', 'ZONE'],
      rows: managers.map((m) => [
        m.hostname + (m.manager?.leader ? ' (leader)' : ''),
        m.manager?.reachability ?? 'unknown',
        m.state,
        m.availability,
        m.manager?.addr ?? m.addr,
        zoneOf(m) ?? '-',
      ]),
    },
    warnings.length
      ? { kind: 'list', title: `Warnings (${warnings.length})`, items: warnings, tone: 'warn' }
      : { kind: 'text', text: 'No warnings.' },
    { kind: 'context', text: `Answered by ${endpoint ?? 'a manager'}` },
  ];
  if (quorum.verdict === 'quorum lost' && leader) {
    parts.splice(1, 0, {
      kind: 'context',
      text: `This answer comes from \`${leader.hostname}\`, which still names itself leader: its view is stale until it notices it lost its followers.`,
    });
  }
  // the title's mark is the verdict's: healthy is ✔ also with warnings, which are listed under their own ▲ (the list's tone)
  return reply(`Swarm ${cluster}: ${quorum.verdict}`, TONE[quorum.verdict], parts);
}

/** The node list, or, without a leader (no list to be had), the answer from each manager's own /info. */
export async function nodesOrQuorumLost(ctx: ReadContext): Promise<SwarmNode[] | Reply> {
  try {
    return await ctx.swarm.nodes.list();
  } catch (err) {
    if (isQuorumLost(err)) return quorumLostStatus(ctx.cluster, await ctx.swarm.nodes.probeManagers());
    throw err;
  }
}

export const status: ReadAction<ArgsFor<'status'>> = {
  async run(ctx) {
    // the node list and the answering manager's /info at once: one round trip's wait instead of two
    const [nodes, info] = await Promise.all([nodesOrQuorumLost(ctx), ctx.swarm.nodes.info().catch(() => undefined)]);
    if (!Array.isArray(nodes)) return nodes;
    const hasWindows = nodes.some((n) => n.os.toLowerCase() === 'windows');
    const networks = hasWindows ? await ctx.swarm.networks.list() : [];
    // a manager that restarted locked looks merely unreachable from the leader: its own /info says why
    const someUnreachable = nodes.some((n) => n.role === 'manager' && n.manager?.reachability !== 'reachable');
    const locked = someUnreachable ? (await ctx.swarm.nodes.probeManagers()).filter((p) => p.info?.localState === 'locked') : [];
    // after a recovery the old managers are still listed as managers but are no longer Raft members: Raft's own list decides
    const raft = info?.controlAvailable && info.remoteManagers.length ? new Set(info.remoteManagers.map((m) => m.nodeId)) : undefined;
    const exMembers = raft ? nodes.filter((n) => n.role === 'manager' && !raft.has(n.id)) : [];
    const members = nodes.filter((n) => !exMembers.includes(n));
    const reply = healthyStatus(ctx.cluster, members, info, networks, ctx.clock.now(), ctx.swarm.activeEndpoint, locked);
    if (!exMembers.length) return reply;
    const names = exMembers.map((n) => code(n.hostname)).join(', ');
    return {
      ...reply,
      parts: [
        ...reply.parts,
        {
          kind: 'list',
          title: 'Listed as managers, but not Raft members (after a recovery)',
          tone: 'warn',
          items: [`${names}: they don't count in the quorum. Re-join each with \`/swarm join manager <its url>\`, or remove it with \`/swarm node rm <node> --force\`.`],
        },
      ],
    };
  },
};
