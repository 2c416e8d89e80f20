/**
 * What one look at a swarm shows, as conditions ("findings"), compared with
 * what the previous pass left (the leader, when a CA rotation began, when the
 * certificates were last checked). Pure: the Docker calls are made before
 * (`Observation`) and the incidents are reconciled after (watch-reconcile.ts).
 *
 * Why polling and not `/events`: a daemon keeps 256 events in memory, the
 * stream drops across leader changes and a stopped leader emits nothing
 * (moby#36729, swarmkit#491). After a leader change, nodes show `unknown`
 * until they report to the new leader (swarmkit#2293): not down.
 */
import { quorumLostStatus } from '../shared/quorum-lost.js';
import { DAY_MS, hhmm, MINUTE_MS } from '../domain/time-format.js';
import { assessQuorum, explainQuorum } from '../domain/quorum.js';
import type { ReplyPart } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { IncidentKind, InfoProbe, SwarmNode, SwarmService, SwarmTask, WatchClusterState, WatchIncident } from '../ports.js';
import { SERVICE_KINDS, serviceFindings } from './detect-services.js';

/** certificates expiring within this are an incident */
export const CERT_WARNING_MS = 30 * DAY_MS;
/** a root CA rotation in progress longer than this is stuck */
export const ROTATION_STUCK_MS = 30 * MINUTE_MS;
/** nodes and managers showing `unknown` this long after a leader change are not counted as down (at least the grace period) */
export const LEADER_SETTLE_MS = 90_000;

/** What the Docker calls of one pass brought back. */
export interface Observation {
  /** `GET /nodes` answered */
  nodes?: SwarmNode[];
  /** each configured manager's `/info` (asked when a manager is missing, when `/nodes` failed, and daily for the certificates) */
  probes?: InfoProbe[];
  /** why `/nodes` (or the whole look) failed: an error code such as QUORUM_LOST, and a message safe to show */
  failure?: { code: string; message: string };
  /** `GET /swarm`, when the adapter has it */
  rootRotationInProgress?: boolean;
  /** certificates and their expiry, when they were checked in this pass */
  certs?: Array<{ subject: string; name: string; expiresAt: Date }>;
  /** every service with its status, and every task (absent when either could not be read) */
  services?: SwarmService[];
  tasks?: SwarmTask[];
}

/**
 * A condition seen now: what its incident is keyed by and named (`detail`: a
 * change of it is worth a reply in the thread, so it holds only what matters).
 */
export interface Finding extends Pick<WatchIncident, 'kind' | 'subject' | 'name' | 'role' | 'detail'> {
  /** what is wrong, for the message (markup: *bold*, `code`) */
  text: string;
  /** the Raft arithmetic, where it matters */
  arithmetic?: string;
  /** more of the message (the quorum-lost lists of reachable and unreachable managers) */
  parts?: ReplyPart[];
  /** an active worker may be drained from its alert */
  drainable?: boolean;
  /** a service with a previous spec: its alert offers Roll back */
  rollback?: boolean;
}

/** Something worth saying once, that never stays open: the leader changed. */
export interface Notice {
  kind: 'leader-changed';
  from: string;
  to: string;
  text: string;
}

export interface Detection {
  findings: Finding[];
  /** kinds this pass could judge: an incident of another kind is left as it is (e.g. node states while quorum is lost) */
  evaluated: Set<IncidentKind>;
  notices: Notice[];
  state: WatchClusterState;
}

const EVERY_KIND: IncidentKind[] = ['cluster-unreachable', 'quorum-lost', 'manager-locked', 'quorum-at-risk', 'manager-unreachable', 'node-down', 'node-drained'];

export function detect(obs: Observation, prev: WatchClusterState | undefined, o: { cluster: string; now: number; graceMs: number }): Detection {
  const { cluster, now } = o;
  const state: WatchClusterState = { ...prev, cluster, lastPassAt: now };
  const findings: Finding[] = [];
  const notices: Notice[] = [];
  const evaluated = new Set<IncidentKind>(['cluster-unreachable']);
  const out = (): Detection => ({ findings, evaluated, notices, state });

  if (!obs.nodes) {
    const lost = obs.failure?.code === 'QUORUM_LOST' ? quorumLost(cluster, obs.probes ?? []) : undefined;
    if (lost === undefined) {
      findings.push(unreachableCluster(cluster, obs.failure));
      return out();
    }
    evaluated.add('manager-locked');
    findings.push(...lockedManagers(obs.probes ?? []));
    // enough managers answer to elect a leader: an election is under way, nothing to say yet
    if (lost) {
      evaluated.add('quorum-lost');
      findings.push(lost);
    }
    return out();
  }

  for (const k of EVERY_KIND) evaluated.add(k);
  const nodes = obs.nodes;
  const leader = nodes.find((n) => n.manager?.leader);
  if (leader && prev?.leader && prev.leader.id !== leader.id) {
    state.leaderChangedAt = now;
    notices.push({
      kind: 'leader-changed',
      from: prev.leader.hostname,
      to: leader.hostname,
      text: `${code(leader.hostname)} leads the Raft group now; ${code(prev.leader.hostname)} led it until the previous check. Changes and deploys go on as usual.`,
    });
  }
  if (leader) state.leader = { id: leader.id, hostname: leader.hostname };
  // right after a new leader, nodes report to it one by one and show `unknown` meanwhile
  const settling = state.leaderChangedAt !== undefined && now - state.leaderChangedAt < Math.max(o.graceMs, LEADER_SETTLE_MS);
  const reachable = (m: SwarmNode) => m.manager?.reachability === 'reachable' || (settling && m.manager?.reachability === 'unknown');

  const managers = nodes.filter((n) => n.role === 'manager');
  const q = assessQuorum(managers.length, managers.filter(reachable).length);
  const locked = lockedManagers(obs.probes ?? []);
  findings.push(...locked);

  if (q.verdict === 'quorum lost') {
    // the answering manager still names itself leader: its view is stale; each manager's /info tells the truth
    const lost = obs.probes ? quorumLost(cluster, obs.probes) : undefined;
    findings.push(lost || quorumLostFromNodes(cluster, q));
    evaluated.delete('quorum-at-risk');
  } else if (q.unreachable > 0 && q.reachable === q.quorum) {
    findings.push({
      kind: 'quorum-at-risk',
      subject: '-',
      name: cluster,
      detail: `${q.reachable}/${q.managers}`,
      text: `*${q.reachable} of ${q.managers} managers are reachable: exactly the quorum.* One more manager lost and the swarm can't be changed (no deploys, joins or updates); running services keep running.`,
      arithmetic: explainQuorum(q),
    });
  }

  const lockedIds = new Set(locked.map((f) => f.subject));
  const unreachable: Finding[] = [];
  for (const m of managers) {
    if (reachable(m) || lockedIds.has(m.id)) continue;
    unreachable.push({
      ...aboutNode('manager-unreachable', m, `Manager ${code(m.hostname)} (${m.manager?.addr || m.addr}) is ${m.manager?.reachability ?? 'unknown'} to the other managers (node state ${code(m.state)}). It still counts in N until it is demoted and removed.`),
      arithmetic: explainQuorum(q),
    });
  }
  // one event, one message: the managers lost are the cause of the quorum at risk (or lost), said in its incident
  const quorum = findings.find((f) => f.kind === 'quorum-at-risk' || f.kind === 'quorum-lost');
  if (quorum && unreachable.length) {
    quorum.text = `${unreachable.map((f) => f.text).join('\n')}\n${quorum.text}`;
    quorum.detail = `${quorum.detail} ${unreachable.map((f) => f.name).sort().join(',')}`;
    if (quorum.kind === 'quorum-at-risk') quorum.name = unreachable.map((f) => f.name).sort().join(', ');
  } else findings.push(...unreachable);

  for (const n of nodes) {
    if (n.state === 'ready' || (n.role === 'manager' && !reachable(n))) continue;
    if (n.state === 'unknown' && settling) continue;
    findings.push({
      ...aboutNode('node-down', n, `${n.role === 'manager' ? 'Manager' : 'Worker'} ${code(n.hostname)} (${n.addr || 'no address'}) is ${code(n.state)}: the swarm moves its tasks elsewhere.`),
      drainable: n.role === 'worker' && n.availability === 'active',
    });
  }
  for (const n of nodes.filter((x) => x.availability === 'drain')) {
    findings.push(
      aboutNode('node-drained', n, `${code(n.hostname)} (${n.role}) is drained: it runs no tasks${n.role === 'manager' ? ' but still votes in Raft' : ''}. This is information, usually someone's maintenance.`),
    );
  }

  if (obs.rootRotationInProgress !== undefined) {
    evaluated.add('ca-rotation-stuck');
    if (!obs.rootRotationInProgress) delete state.rotationSince;
    else {
      state.rotationSince ??= now;
      if (now - state.rotationSince > ROTATION_STUCK_MS) {
        findings.push({
          kind: 'ca-rotation-stuck',
          subject: '-',
          name: cluster,
          detail: '',
          text: `A root CA rotation has been in progress since ${hhmm(state.rotationSince)} (over ${ROTATION_STUCK_MS / MINUTE_MS} min). Usually a node that is down or can't reach a manager has not renewed its certificate yet.`,
        });
      }
    }
  }

  if (obs.certs) {
    evaluated.add('cert-expiring');
    state.certsCheckedAt = now;
    // one event, one message: certificates that expire on the same day (one lifetime shared by every manager endpoint) are one incident
    const byDay = new Map<string, Array<{ subject: string; name: string; expiresAt: Date }>>();
    for (const c of obs.certs) {
      if (c.expiresAt.getTime() - now >= CERT_WARNING_MS) continue;
      const day = c.expiresAt.toISOString().slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), c]);
    }
    for (const [day, certs] of byDay) {
      const left = Math.min(...certs.map((c) => c.expiresAt.getTime())) - now;
      const one = certs.length === 1 ? certs[0]! : undefined;
      const name = one ? one.name : `${certs.length} certificates (${certs.map((c) => c.subject).join(', ')})`;
      const what = one ? `The ${one.name}` : `These ${certs.length} certificates: ${certs.map((c) => `the ${c.name}`).join('; ')}:`;
      findings.push({
        kind: 'cert-expiring',
        subject: one ? one.subject : `expiry ${day}`,
        name,
        detail: day,
        text: left < 0 ? `${what} expired on ${day}.` : `${what} ${one ? 'expires' : 'expire'} in ${Math.floor(left / DAY_MS)} days (${day}).`,
      });
    }
  }

  if (obs.services && obs.tasks) {
    for (const k of SERVICE_KINDS) evaluated.add(k);
    findings.push(...serviceFindings(obs.services, obs.tasks, nodes, now));
  }
  return out();
}

/** A node's condition: keyed by its ID (hostnames can repeat), named by its hostname. */
const aboutNode = (kind: IncidentKind, n: SwarmNode, text: string): Finding => ({ kind, subject: n.id, name: n.hostname, role: n.role, detail: '', text });

/**
 * Quorum lost as status tells it, from each manager's `/info`: which answer
 * and how many more must come back. Undefined when nothing answered at all
 * (then the cluster is unreachable); false when enough answer to elect a
 * leader (an election under way).
 */
function quorumLost(cluster: string, probes: InfoProbe[]): Finding | false | undefined {
  let status;
  try {
    status = quorumLostStatus(cluster, probes);
  } catch {
    return undefined;
  }
  if (status.tone !== 'error') return false;
  const answering = probes.filter((p) => p.info?.localState === 'active' || (!p.info && p.daemonUp)).length;
  const [verdict, ...parts] = status.parts;
  return {
    kind: 'quorum-lost',
    subject: '-',
    name: cluster,
    detail: `${answering}/${probes.length}`,
    text: verdict?.kind === 'text' ? verdict.text : 'Quorum lost.',
    parts,
  };
}

function quorumLostFromNodes(cluster: string, q: ReturnType<typeof assessQuorum>): Finding {
  return {
    kind: 'quorum-lost',
    subject: '-',
    name: cluster,
    detail: `${q.reachable}/${q.managers}`,
    text: `*Verdict: quorum lost.* No leader can be elected: the swarm can't be changed (no deploys, joins or updates); running services keep running.`,
    arithmetic: explainQuorum(q),
  };
}

function lockedManagers(probes: InfoProbe[]): Finding[] {
  return probes
    .filter((p) => p.info?.localState === 'locked')
    .map((p) => ({
      kind: 'manager-locked' as const,
      subject: p.info!.nodeId || p.endpoint,
      name: p.info!.name || p.endpoint,
      role: 'manager' as const,
      detail: '',
      text: `The manager at ${p.endpoint} restarted and is locked (autolock): it takes no part in Raft until it is unlocked with the swarm's unlock key.`,
    }));
}

function unreachableCluster(cluster: string, failure: Observation['failure']): Finding {
  return {
    kind: 'cluster-unreachable',
    subject: '-',
    name: cluster,
    detail: failure?.code ?? 'UNKNOWN',
    text: `No manager of ${code(cluster)} answered the watch: ${failure?.message ?? 'no answer'}`,
  };
}
