/** The swarm lab (test/lab/lab.sh) as the integration tests see it. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const LAB_DIR = process.env.SWARM_LAB_DIR ?? '/tmp/swarm-ops-lab';
const SCRIPT = path.resolve(import.meta.dirname, '../lab/lab.sh');

export interface LabNode {
  name: string;
  netns: string;
  ip: string;
  url: string;
  socket: string;
  role: 'manager' | 'worker' | 'spare';
}

export interface Lab {
  stateDir: string;
  nodes: LabNode[];
  tls: { ca: string; cert: string; key: string; wrongCa: string; wrongCert: string; wrongKey: string };
  probeImage: string;
}

export function readLab(): Lab {
  return JSON.parse(readFileSync(path.join(LAB_DIR, 'lab.json'), 'utf8')) as Lab;
}

export function labSh(...args: string[]): string {
  return execFileSync('bash', [SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

/** The docker CLI against one lab node's unix socket: how the tests check what really happened. */
export function docker(node: string, ...args: string[]): string {
  return labSh('docker', node, ...args).trim();
}

/** Why the lab can't run here, or undefined when it can. */
export function labProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'the swarm lab needs root (network namespaces, dockerd)';
  // lab.sh installs Debian's packages itself when they are missing; without apt it can't
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/apt-get')) return 'dockerd is missing and apt-get is not available to install docker.io';
  return undefined;
}

/** The node's swarm state as its own daemon sees it: inactive | active | pending | error | locked. */
export function swarmState(node: string): string {
  return docker(node, 'info', '--format', '{{.Swarm.LocalNodeState}}');
}

export function joinToken(kind: 'worker' | 'manager'): string {
  return docker('lab-n1', 'swarm', 'join-token', '-q', kind);
}

/** Puts the spare nodes back out of the swarm, whatever an earlier test did with them. */
export function resetSpares(lab: Lab): void {
  for (const node of lab.nodes.filter((n) => n.role === 'spare')) {
    if (swarmState(node.name) === 'inactive') continue;
    const id = docker(node.name, 'info', '--format', '{{.Swarm.NodeID}}');
    try {
      docker('lab-n1', 'node', 'demote', id);
    } catch {
      /* a worker already */
    }
    docker(node.name, 'swarm', 'leave', '--force');
    for (let i = 0; i < 30; i++) {
      try {
        docker('lab-n1', 'node', 'rm', '--force', id);
        break;
      } catch {
        execFileSync('sleep', ['1']);
      }
    }
  }
}

/** The lab's own managers. */
export const LAB_MANAGERS = ['lab-n1', 'lab-n2', 'lab-n3'];

/**
 * Wait until every manager is back and reachable, so later tests start from a
 * healthy swarm: exactly the lab's three, or with `'core'` those three
 * whatever else is a manager now. The error says what the swarm looked like last.
 */
export async function waitForHealthy(deadlineMs = 150_000, managers: 3 | 'core' = 3) {
  const until = Date.now() + deadlineMs;
  let seen = 'nothing yet';
  for (;;) {
    try {
      const ls = docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}');
      seen = ls.replace(/\n/g, '; ');
      const status = new Map(ls.split('\n').map((l) => [l.split(' ')[0] ?? '', l.split(' ')[1] ?? ''] as const));
      const up = (s: string | undefined) => s === 'Leader' || s === 'Reachable';
      const managing = [...status].filter(([, s]) => s);
      if (managers === 'core' ? LAB_MANAGERS.every((m) => up(status.get(m))) : managing.length === 3 && managing.every(([, s]) => up(s))) return;
    } catch (err) {
      seen = String((err as Error).message).split('\n').find((l) => /Error|rpc/.test(l)) ?? 'no answer';
    }
    if (Date.now() > until) throw new Error(`lab did not become healthy again (${managers === 'core' ? 'lab-n1..3 reachable' : 'three managers'} wanted; last seen: ${seen})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Wait until lab-n1 itself says the swarm has no leader (it leads for a few seconds after losing its peers). */
export async function waitForNoLeader(deadlineMs = 60_000) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      docker('lab-n1', 'node', 'ls', '-q');
    } catch (err) {
      if (/does not have a leader/.test(String((err as Error).message))) return;
    }
    if (Date.now() > until) throw new Error('lab-n1 still answered as if there were a leader');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Stopping managers and waiting for Raft to recover takes minutes on a busy machine. */
export const SLOW = 300_000;

export async function waitForQuorum(deadlineMs = 120_000) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      docker('lab-n1', 'node', 'ls', '-q');
      return;
    } catch {
      if (Date.now() > until) throw new Error('quorum did not come back');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * One at a time: two managers starting together can split votes for a minute.
 * `managers`: as for waitForHealthy.
 */
export async function bringBackN2N3(managers: 3 | 'core' = 3) {
  labSh('start', 'lab-n2');
  await waitForQuorum();
  labSh('start', 'lab-n3');
  await waitForHealthy(150_000, managers);
}
