/**
 * What is known of a swarm that lost its Raft quorum: no leader, so no node
 * list, but each manager's own /info (or at least /_ping). `status` answers
 * with it; the watch reads the same to open its quorum-lost incident.
 */
import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import { reply, type Reply, type ReplyPart } from '../domain/reply.js';
import { SwarmError } from '../errors.js';
import type { DaemonInfo, InfoProbe } from '../ports.js';
import { code } from '../render/escape.js';

/** Without a leader `/nodes` fails; each manager's `/info` (or at least `/_ping`) still tells who is there. */
export function quorumLostStatus(cluster: string, probes: InfoProbe[]): Reply {
  const lockedNow = probes.filter((p) => p.info?.localState === 'locked');
  if (lockedNow.length) {
    const r = quorumLostStatus(cluster, probes.filter((p) => !lockedNow.includes(p)));
    return {
      ...r,
      parts: [
        { kind: 'list', title: 'Locked managers (autolock): unlock them first', tone: 'error', items: lockedNow.map((p) => `${code(p.info!.name)}: type \`/swarm unlock ${p.info!.name}\``) },
        ...r.parts,
      ],
    };
  }
  const answering = probes.filter((p): p is InfoProbe & { info: DaemonInfo } => Boolean(p.info));
  const upWithoutInfo = probes.filter((p) => !p.info && p.daemonUp);
  if (!answering.length && !upWithoutInfo.length) {
    throw new SwarmError(
      'ENDPOINTS_UNREACHABLE',
      `No manager of \`${cluster}\` answered: ${probes.map((p) => `${p.endpoint} (${p.error ?? 'no answer'})`).join('; ')}. ` +
        'Check that the managers are running and that their API endpoints in SSM are right.',
    );
  }
  const members = new Map<string, string>();
  for (const p of answering) for (const m of p.info.remoteManagers) members.set(m.nodeId, m.addr);
  // Raft membership when a manager reports it; else the configured endpoints are all we know
  const known = members.size || Math.max(0, ...answering.map((p) => p.info.managers));
  const total = Math.max(known, known ? 0 : probes.length);
  const reachableIds = new Set(answering.filter((p) => p.info.localState === 'active').map((p) => p.info.nodeId));
  const reachableCount = Math.min(reachableIds.size + upWithoutInfo.length, total);
  const unreachableAddrs = [...members].filter(([id]) => !reachableIds.has(id)).map(([, addr]) => `Raft address ${addr}`);
  const silent = probes.filter((p) => !p.info && !p.daemonUp);
  const quorum = assessQuorum(total, reachableCount);
  const swarmError = answering.map((p) => p.info.error).find(Boolean);
  const unreachableCount = total - reachableCount;
  if (quorum.verdict !== 'quorum lost') {
    // enough managers answer to form a quorum, yet none leads: an election is under way (or stuck)
    return reply(`Swarm ${cluster}: no leader yet`, 'warn', [
      {
        kind: 'text',
        text:
          `*No leader right now*, but enough managers answer to elect one: ${explainQuorum(quorum)} ` +
          'This usually settles within seconds (e.g. after the leader went away); ask again shortly. Changes wait until then.',
      },
      {
        kind: 'list',
        title: `Managers answering (${reachableCount})`,
        items: answering.map((p) => `\`${p.info.name}\` via ${p.endpoint}`).concat(upWithoutInfo.map((p) => `${p.endpoint} (daemon answers)`)),
      },
      ...(unreachableAddrs.length ? [{ kind: 'list' as const, title: `Not answering (${unreachableCount})`, items: unreachableAddrs, tone: 'warn' as const }] : []),
      ...(swarmError ? [{ kind: 'context' as const, text: `Docker says: ${swarmError}` }] : []),
    ]);
  }

  const parts: ReplyPart[] = [
    {
      kind: 'text',
      text:
        `*Verdict: quorum lost.* No leader can be elected: the swarm can't be changed (no deploys, joins or updates); running services keep running. ` +
        explainQuorum(quorum) +
        (known ? '' : ` (No manager could report Raft membership, so this counts the ${total} configured manager endpoints.)`),
    },
    {
      kind: 'list',
      title: `Reachable managers (${reachableCount})`,
      items: [
        ...answering.filter((p) => reachableIds.has(p.info.nodeId)).map((p) => `\`${p.info.name}\` via ${p.endpoint}`),
        ...upWithoutInfo.map((p) => `${p.endpoint} (daemon answers; its swarm API waits for a leader)`),
      ],
    },
    {
      kind: 'list',
      title: `Unreachable managers (${unreachableCount})`,
      items: unreachableAddrs.length ? unreachableAddrs : silent.map((p) => p.endpoint),
      tone: 'error',
    },
  ];
  if (silent.length) parts.push({ kind: 'list', title: 'Endpoints that did not answer', items: silent.map((p) => `${p.endpoint}: ${p.error ?? 'no answer'}`) });
  parts.push({
    kind: 'text',
    text:
      `Bring back ${quorum.neededForQuorum} of the ${unreachableCount} unreachable manager${unreachableCount === 1 ? '' : 's'} to restore quorum. ` +
      'If they are gone for good, re-initialise from a surviving manager with `docker swarm init --force-new-cluster`.',
  });
  if (swarmError) parts.push({ kind: 'context', text: `Docker says: ${swarmError}` });
  return reply(`Swarm ${cluster}: quorum lost`, 'error', parts);
}
