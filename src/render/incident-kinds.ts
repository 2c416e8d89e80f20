/** The kinds of incident the watch opens, as people read them: title, tone, the word for several, the resolution line. */
import type { Tone } from '../domain/reply.js';
import type { IncidentKind, WatchIncident } from '../ports.js';
import { code } from './escape.js';

export interface KindText {
  tone: Tone;
  title: (name: string, cluster: string) => string;
  /** for several at once: "3 nodes down" */
  many: string;
  resolved: (name: string) => string;
  /** incidents of one node or one service: muted by its name; the others by their kind */
  perNode: boolean;
}

export const KINDS: Record<IncidentKind, KindText> = {
  'cluster-unreachable': { tone: 'error', title: (_, c) => `Cluster unreachable: ${c}`, many: 'clusters unreachable', resolved: () => 'The managers answer the watch again.', perNode: false },
  'quorum-lost': { tone: 'error', title: (_, c) => `Quorum lost on ${c}: the swarm can't be changed`, many: 'quorum losses', resolved: () => 'A leader is elected again: the swarm can be changed.', perNode: false },
  'manager-locked': { tone: 'error', title: (n, c) => `Manager locked: ${n} (${c})`, many: 'managers locked', resolved: (n) => `${code(n)} is unlocked and back in Raft.`, perNode: true },
  'quorum-at-risk': {
    tone: 'warn',
    // named by the managers that put it at risk, when the watch sees them
    title: (n, c) => (n && n !== c ? `Quorum at risk on ${c}: ${n} unreachable, one more manager lost stops all changes` : `Quorum at risk on ${c}: one more manager lost stops all changes`),
    many: 'quorum risks',
    resolved: () => 'More managers than the quorum are reachable again.',
    perNode: false,
  },
  'manager-unreachable': { tone: 'warn', title: (n, c) => `Manager unreachable: ${n} (${c})`, many: 'managers unreachable', resolved: (n) => `${code(n)} is reachable again.`, perNode: true },
  'node-down': { tone: 'warn', title: (n, c) => `Node down: ${n} (${c})`, many: 'nodes down', resolved: (n) => `${code(n)} is ready again.`, perNode: true },
  'service-rollout': { tone: 'error', title: (n, c) => `Rollout halted: ${n} (${c})`, many: 'rollouts halted', resolved: (n) => `${code(n)} runs as desired again.`, perNode: true },
  'service-crash-loop': { tone: 'error', title: (n, c) => `Crash loop: ${n} (${c})`, many: 'services crash-looping', resolved: (n) => `${code(n)} runs as desired again: no task failed lately.`, perNode: true },
  'service-unschedulable': {
    tone: 'warn',
    title: (n, c) => `Tasks can't be scheduled: ${n} (${c})`,
    many: 'services with tasks no node can take',
    resolved: (n) => `Every task of ${code(n)} has a node again.`,
    perNode: true,
  },
  'service-replicas': { tone: 'warn', title: (n, c) => `Replicas below desired: ${n} (${c})`, many: 'services below their replicas', resolved: (n) => `${code(n)} runs all its replicas again.`, perNode: true },
  'ca-rotation-stuck': { tone: 'warn', title: (_, c) => `CA rotation stuck on ${c}`, many: 'CA rotations stuck', resolved: () => 'The root CA rotation has finished.', perNode: false },
  'cert-expiring': { tone: 'warn', title: (n, c) => `Certificate expiring on ${c}: ${n}`, many: 'certificates expiring', resolved: (n) => `The ${n} is valid for more than 30 days again.`, perNode: false },
  'node-drained': { tone: 'info', title: (n, c) => `Node drained: ${n} (${c})`, many: 'nodes drained', resolved: (n) => `${code(n)} is active again.`, perNode: true },
  'leader-changed': { tone: 'info', title: (_, c) => `Leader changed on ${c}`, many: 'leader changes', resolved: () => '', perNode: false },
  'service-changed': { tone: 'warn', title: (n, c) => `Changed outside swarm-ops: ${n} (${c})`, many: 'services changed outside swarm-ops', resolved: () => '', perNode: true },
};

export const kindTone = (kind: IncidentKind): Tone => KINDS[kind].tone;
export const incidentTitle = (i: Pick<WatchIncident, 'kind' | 'name' | 'cluster'>) => KINDS[i.kind].title(i.name, i.cluster);
