/**
 * The watch's pure core with a fake clock: what one look at a swarm shows
 * (detect) and what that means for the incidents kept between passes
 * (reconcile). The executor (createWatch) is tested in watch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { detect, LEADER_SETTLE_MS, type Observation } from '../../src/watch/detect.js';
import { mutedBy, reconcile, type Change } from '../../src/watch/reconcile.js';
import type { InfoProbe, SwarmNode, WatchClusterState, WatchIncident, WatchMute } from '../../src/ports.js';
import { daemonInfo, manager, worker } from '../support/fixtures.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-21T10:00:00Z');
const healthy = (): SwarmNode[] => [manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')];
const down = (name: string, state: SwarmNode['state'] = 'down') => healthy().map((n) => (n.hostname === name ? { ...n, state } : n));

/** Passes over one cluster, keeping what the executor would keep (every post succeeds). */
function watcher(graceMinutes = 3) {
  let incidents: WatchIncident[] = [];
  let state: WatchClusterState | undefined;
  let posted = 0;
  const mutes: WatchMute[] = [];
  function pass(obs: Observation, minute: number) {
    const now = T0 + minute * MIN;
    const graceMs = graceMinutes * MIN;
    const d = detect(obs, state, { cluster: 'prod', now, graceMs });
    const changes = reconcile({ cluster: 'prod', now, graceMs, findings: d.findings, evaluated: d.evaluated, incidents, mutes });
    const byKey = new Map(incidents.map((i) => [`${i.kind}#${i.subject}`, i]));
    for (const c of changes) {
      const key = `${c.incident.kind}#${c.incident.subject}`;
      if (c.type === 'resolve' || c.type === 'drop') byKey.delete(key);
      else if (c.type === 'open') {
        const muted = mutedBy(c.incident, mutes, now) !== undefined;
        byKey.set(key, { ...c.incident, status: 'open', ...(muted ? { muted } : { ts: `${++posted}.0` }) });
      } else byKey.set(key, c.incident);
    }
    incidents = [...byKey.values()];
    state = d.state;
    return { changes, notices: d.notices, findings: d.findings };
  }
  return { pass, mutes, incidents: () => incidents, state: () => state };
}

const kinds = (changes: Change[]) => changes.map((c) => `${c.type} ${c.incident.kind} ${c.incident.name}`);

describe('watch: detection and reconciliation (fake clock)', () => {
  it('a healthy swarm gives nothing to say, pass after pass', () => {
    const w = watcher();
    for (let m = 0; m < 10; m++) {
      const { changes, notices, findings } = w.pass({ nodes: healthy() }, m);
      expect([changes, notices, findings]).toEqual([[], [], []]);
    }
    expect(w.state()?.leader?.hostname).toBe('m1');
  });

  it('a node down opens one incident only after the grace period, then stays one incident', () => {
    const w = watcher(3);
    expect(kinds(w.pass({ nodes: down('w1') }, 0).changes)).toEqual(['track node-down w1']);
    expect(kinds(w.pass({ nodes: down('w1') }, 2).changes)).toEqual(['track node-down w1']);
    expect(kinds(w.pass({ nodes: down('w1') }, 3).changes)).toEqual(['open node-down w1']);
    for (let m = 4; m < 14; m++) expect(w.pass({ nodes: down('w1') }, m).changes).toEqual([]);
    expect(w.incidents()).toHaveLength(1);
  });

  it('a blip shorter than the grace period is never posted', () => {
    const w = watcher(3);
    w.pass({ nodes: down('w1') }, 0);
    expect(kinds(w.pass({ nodes: healthy() }, 1).changes)).toEqual(['track node-down w1']);
    expect(w.pass({ nodes: healthy() }, 3).changes).toEqual([]);
    expect(kinds(w.pass({ nodes: healthy() }, 4).changes)).toEqual(['drop node-down w1']);
    expect(w.incidents()).toEqual([]);
  });

  it('a flap within the grace period stays one incident; a worker that keeps flapping is said to, once; it resolves after the grace period', () => {
    const w = watcher(3);
    w.pass({ nodes: down('w1') }, 0);
    w.pass({ nodes: healthy() }, 1);
    // back down within the grace period: the same incident, counted from its first sighting
    expect(kinds(w.pass({ nodes: down('w1') }, 2).changes)).toEqual(['track node-down w1']);
    const opened = w.pass({ nodes: down('w1') }, 3).changes;
    expect(opened).toMatchObject([{ type: 'open', incident: { since: T0, flaps: 1 } }]);
    w.pass({ nodes: healthy() }, 4);
    const again = w.pass({ nodes: down('w1') }, 5).changes;
    expect(again).toMatchObject([{ type: 'follow-up', what: 'flapping', incident: { flaps: 2, noted: ['flapping'] } }]);
    w.pass({ nodes: healthy() }, 6);
    expect(w.pass({ nodes: down('w1') }, 7).changes.map((c) => c.type)).toEqual(['track']);
    w.pass({ nodes: healthy() }, 8);
    expect(w.pass({ nodes: healthy() }, 10).changes).toEqual([]);
    expect(kinds(w.pass({ nodes: healthy() }, 11).changes)).toEqual(['resolve node-down w1']);
  });

  it('a node down for a day gets one more word in its thread', () => {
    const w = watcher(3);
    w.pass({ nodes: down('w1') }, 0);
    w.pass({ nodes: down('w1') }, 3);
    expect(w.pass({ nodes: down('w1') }, 24 * 60 - 1).changes).toEqual([]);
    expect(w.pass({ nodes: down('w1') }, 24 * 60).changes).toMatchObject([{ type: 'follow-up', what: 'day' }]);
    expect(w.pass({ nodes: down('w1') }, 24 * 60 + 1).changes).toEqual([]);
  });

  it('a leader change is said once; nodes showing unknown right after it are not down, later they are', () => {
    const w = watcher(0.05);
    w.pass({ nodes: healthy() }, 0);
    const newLeader = healthy().map((n) => ({
      ...n,
      ...(n.manager ? { manager: { ...n.manager, leader: n.hostname === 'm2' } } : {}),
      ...(n.hostname === 'w1' ? { state: 'unknown' as const } : {}),
    }));
    const first = w.pass({ nodes: newLeader }, 1);
    expect(first.notices).toMatchObject([{ kind: 'leader-changed', from: 'm1', to: 'm2' }]);
    expect(first.findings).toEqual([]);
    expect(w.pass({ nodes: newLeader }, 1.5).notices).toEqual([]);
    expect(w.pass({ nodes: newLeader }, 1 + LEADER_SETTLE_MS / MIN).findings).toMatchObject([{ kind: 'node-down', name: 'w1' }]);
  });

  it('a cluster that cannot be reached at all is one incident, and its nodes\' incidents are left as they are', () => {
    const w = watcher(1);
    w.pass({ nodes: down('w1') }, 0);
    w.pass({ nodes: down('w1') }, 1);
    const unreachable: Observation = { failure: { code: 'ENDPOINTS_UNREACHABLE', message: 'No manager endpoint answered.' }, probes: [] };
    w.pass(unreachable, 2);
    expect(kinds(w.pass(unreachable, 3).changes)).toEqual(['open cluster-unreachable prod']);
    for (let m = 4; m < 30; m++) expect(w.pass(unreachable, m).changes).toEqual([]);
    expect(w.incidents().map((i) => `${i.kind} ${i.status}`).sort()).toEqual(['cluster-unreachable open', 'node-down open']);
    // back: the cluster resolves, the node is judged again
    w.pass({ nodes: healthy() }, 30);
    expect(kinds(w.pass({ nodes: healthy() }, 31).changes).sort()).toEqual(['resolve cluster-unreachable prod', 'resolve node-down w1']);
  });

  it('quorum lost is told from each manager\'s /info: who answers and how many more are needed; node states are left alone meanwhile', () => {
    const probes: InfoProbe[] = [
      { endpoint: 'tcp://10.0.0.1:2376', info: daemonInfo({ name: 'm1', nodeId: 'm1id', remoteManagers: [{ nodeId: 'm1id', addr: '10.0.0.1:2377' }, { nodeId: 'm2id', addr: '10.0.0.2:2377' }, { nodeId: 'm3id', addr: '10.0.0.3:2377' }] }) },
      { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' },
      { endpoint: 'tcp://10.0.0.3:2376', error: 'ECONNREFUSED' },
    ];
    const d = detect({ failure: { code: 'QUORUM_LOST', message: 'no leader' }, probes }, undefined, { cluster: 'prod', now: T0, graceMs: 0 });
    const lost = d.findings.find((f) => f.kind === 'quorum-lost')!;
    expect(lost.text).toMatch(/1 of 3 managers reachable; quorum needs 2 \(⌊3\/2⌋\+1\), so 1 more must come back/);
    expect(JSON.stringify(lost.parts)).toMatch(/`m1` via tcp:\/\/10\.0\.0\.1:2376/);
    expect(JSON.stringify(lost.parts)).toMatch(/Bring back 1 of the 2 unreachable managers/);
    expect([...d.evaluated].sort()).toEqual(['cluster-unreachable', 'manager-locked', 'quorum-lost']);
  });

  it('enough managers answering without a leader is an election under way: nothing opens, nothing resolves', () => {
    const answering = (n: number): InfoProbe => ({ endpoint: `tcp://10.0.0.${n}:2376`, info: daemonInfo({ name: `m${n}`, nodeId: `m${n}id` }) });
    const d = detect({ failure: { code: 'QUORUM_LOST', message: 'no leader' }, probes: [answering(1), answering(2), { endpoint: 'tcp://10.0.0.3:2376', error: 'down' }] }, undefined, {
      cluster: 'prod',
      now: T0,
      graceMs: 0,
    });
    expect(d.findings).toEqual([]);
    expect([...d.evaluated].sort()).toEqual(['cluster-unreachable', 'manager-locked']);
  });

  it('a manager lost of three: one finding, the quorum at risk naming the manager that puts it at risk, with the arithmetic', () => {
    const nodes = healthy().map((n) => (n.hostname === 'm3' ? manager('m3', { reachability: 'unreachable' }) : n));
    const { findings } = detect({ nodes }, undefined, { cluster: 'prod', now: T0, graceMs: 0 });
    expect(findings.map((f) => `${f.kind} ${f.name}`)).toEqual(['quorum-at-risk m3']);
    expect(findings[0]!.text).toMatch(/Manager `m3` .* is unreachable to the other managers[\s\S]*2 of 3 managers are reachable: exactly the quorum/);
    expect(findings[0]!.arithmetic).toBe('2 of 3 managers reachable; quorum 2 (⌊3/2⌋+1); tolerates 0 more failures (designed for 1).');
    expect(findings[0]!.detail).toBe('2/3 m3');
  });

  it('a locked manager is said to be locked, not merely unreachable', () => {
    const nodes = healthy().map((n) => (n.hostname === 'm3' ? manager('m3', { reachability: 'unreachable' }) : n));
    const m3 = nodes.find((n) => n.hostname === 'm3')!;
    const probes: InfoProbe[] = [{ endpoint: 'tcp://10.0.0.3:2376', info: daemonInfo({ name: 'm3', nodeId: m3.id, localState: 'locked' }) }];
    const { findings } = detect({ nodes, probes }, undefined, { cluster: 'prod', now: T0, graceMs: 0 });
    expect(findings.map((f) => `${f.kind} ${f.name}`)).toEqual(['manager-locked m3', 'quorum-at-risk prod']);
  });

  it('certificates: within 30 days is an incident at once; a pass that did not check them leaves it open', () => {
    const w = watcher(3);
    const certs = [
      { subject: 'root-ca', name: 'swarm root CA certificate', expiresAt: new Date(T0 + 10 * 86_400_000) },
      { subject: 'api tcp://10.0.0.1:2376', name: 'TLS certificate of the manager API at tcp://10.0.0.1:2376', expiresAt: new Date(T0 + 300 * 86_400_000) },
    ];
    expect(kinds(w.pass({ nodes: healthy(), certs }, 0).changes)).toEqual(['open cert-expiring swarm root CA certificate']);
    expect(w.state()?.certsCheckedAt).toBe(T0);
    expect(w.pass({ nodes: healthy() }, 60).changes).toEqual([]);
    expect(kinds(w.pass({ nodes: healthy(), certs: [] }, 24 * 60).changes)).toEqual(['resolve cert-expiring swarm root CA certificate']);
  });

  it('a root CA rotation is stuck after 30 minutes in progress, and said at once then', () => {
    const w = watcher(3);
    expect(w.pass({ nodes: healthy(), rootRotationInProgress: true }, 0).changes).toEqual([]);
    expect(w.pass({ nodes: healthy(), rootRotationInProgress: true }, 30).changes).toEqual([]);
    expect(kinds(w.pass({ nodes: healthy(), rootRotationInProgress: true }, 31).changes)).toEqual(['open ca-rotation-stuck prod']);
    expect(kinds(w.pass({ nodes: healthy(), rootRotationInProgress: false }, 32).changes)).toEqual(['resolve ca-rotation-stuck prod']);
    expect(w.state()?.rotationSince).toBeUndefined();
  });

  it('a drained node is information, resolved when it is active again', () => {
    const w = watcher(0);
    const drained = healthy().map((n) => (n.hostname === 'w2' ? { ...n, availability: 'drain' as const } : n));
    expect(kinds(w.pass({ nodes: drained }, 0).changes)).toEqual(['open node-drained w2']);
    expect(kinds(w.pass({ nodes: healthy() }, 1).changes)).toEqual(['resolve node-drained w2']);
  });

  it('a muted incident is tracked, not posted, and posted once the mute ends if still open', () => {
    const w = watcher(1);
    w.mutes.push({ cluster: 'prod', target: 'w1', nodeId: healthy()[3]!.id, until: T0 + 10 * MIN, by: 'U0OPS', at: T0 });
    w.pass({ nodes: down('w1') }, 0);
    w.pass({ nodes: down('w1') }, 1);
    expect(w.incidents()).toMatchObject([{ kind: 'node-down', status: 'open', muted: true }]);
    expect(w.incidents()[0]!.ts).toBeUndefined();
    for (let m = 2; m < 10; m++) expect(w.pass({ nodes: down('w1') }, m).changes).toEqual([]);
    expect(kinds(w.pass({ nodes: down('w1') }, 10).changes)).toEqual(['open node-down w1']);
  });

  it('mutes match a kind, a node by ID, or a node by the name typed; an ended mute matches nothing', () => {
    const i = { kind: 'node-down' as const, subject: 'abc123', name: 'Worker-7' };
    const m = (over: Partial<WatchMute>): WatchMute => ({ cluster: 'prod', target: 'x', until: T0 + MIN, by: 'U', at: T0, ...over });
    expect(mutedBy(i, [m({ target: 'node-down', kind: 'node-down' })], T0)).toBeDefined();
    expect(mutedBy(i, [m({ target: 'worker-7', nodeId: 'abc123' })], T0)).toBeDefined();
    expect(mutedBy(i, [m({ target: 'worker-7' })], T0)).toBeDefined();
    expect(mutedBy(i, [m({ target: 'quorum-lost', kind: 'quorum-lost' }), m({ target: 'worker-8' })], T0)).toBeUndefined();
    expect(mutedBy(i, [m({ target: 'node-down', kind: 'node-down', until: T0 })], T0)).toBeUndefined();
  });
});
