/**
 * Overlay networks and node lifecycle against the real swarm, checked with
 * the docker CLI on the lab: what exists, how it is configured, what runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { docker, joinToken, labSh, resetSpares } from './lab.js';
import { labUnavailable, startHarness, USERS, type Harness } from './harness.js';

const overlays = () => docker('lab-n1', 'network', 'ls', '--filter', 'driver=overlay', '--format', '{{.Name}}').split('\n').sort().join(',');
const services = () => docker('lab-n1', 'service', 'ls', '-q');
const inspect = (net: string, format: string) => docker('lab-n1', 'network', 'inspect', net, '--format', format);
const nodeSpec = (node: string, format: string) => docker('lab-n1', 'node', 'inspect', node, '--format', format);

async function until(what: string, check: () => boolean, ms = 60_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe.skipIf(labUnavailable())('overlays and node lifecycle against the real swarm', () => {
  let h: Harness;

  /** Requests a manager-level change and approves it as a second person. */
  async function approved(text: string) {
    const req = await h.slash(text);
    expect(req.result?.text).toMatch(/Approval requested/);
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
    const value = (posted.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>)
      .find((b) => b.type === 'actions')!.elements!.find((b) => b.action_id === APPROVE_ACTION)!.value;
    await h.click({ actionId: APPROVE_ACTION, value, user: USERS.approver, messageTs: `17000${Date.now() % 100000}.000100` });
    return JSON.stringify(h.slack.posts.filter((p) => p.method === 'chat.update').at(-1));
  }

  beforeAll(async () => {
    h = await startHarness();
    resetSpares(h.lab);
    // a worker to probe across, drain and promote (joined by hand: this file tests other things)
    docker('lab-n4', 'swarm', 'join', '--token', joinToken('worker'), '10.77.0.11:2377');
    await until('lab-n4 Ready', () => nodeSpec('lab-n4', '{{.Status.State}}') === 'ready');
  });
  afterAll(async () => {
    await h?.close();
    for (const s of services().split('\n').filter(Boolean)) docker('lab-n1', 'service', 'rm', s);
    resetSpares(h.lab);
  });

  it('creates a plain overlay as the operating guide does', async () => {
    const r = await h.slash('overlay create plain-net --subnet 10.90.0.0/24 --gateway 10.90.0.1');
    expect(r.result?.text).toMatch(/Created overlay plain-net in lab/);
    expect(inspect('plain-net', '{{.Driver}} {{.Scope}} {{.Attachable}}')).toBe('overlay swarm true');
    expect(inspect('plain-net', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}')).toBe('10.90.0.0/24 10.90.0.1');
    expect(inspect('plain-net', '{{json .Options}}')).not.toContain('encrypted');
  });

  it('creates an encrypted, non-attachable overlay', async () => {
    const r = await h.slash('overlay create enc-net --encrypted --no-attachable');
    expect(r.result?.text).toMatch(/Created overlay enc-net/);
    expect(inspect('enc-net', '{{.Driver}} {{.Scope}} {{.Attachable}}')).toBe('overlay swarm false');
    expect(inspect('enc-net', '{{json .Options}}')).toContain('"encrypted":""');
  });

  it('refuses bad input and clashes, leaving no network behind', async () => {
    const before = overlays();
    const cases: Array<[string, RegExp]> = [
      ['overlay create plain-net', /already exists/],
      ['overlay create other --subnet 10.90.0.128/25', /overlaps 10\.90\.0\.0\/24 of network `plain-net`/],
      ['overlay create other --subnet 10.91.0.0/24 --gateway 10.92.0.1', /outside subnet/],
      ['overlay create ingress', /Docker's own networks/],
    ];
    for (const [text, message] of cases) {
      const r = await h.slash(text);
      expect(r.result?.response_type).toBe('ephemeral');
      expect(r.resultText).toMatch(message);
    }
    const usage: Array<[string, RegExp]> = [
      ['overlay create "bad name"', /&lt;name&gt;: use letters/],
      ['overlay create other --subnet 10.91.0.0/40', /not a CIDR subnet/],
      ['overlay create other --gateway 10.91.0.1', /--gateway needs --subnet/],
    ];
    for (const [text, message] of usage) expect((await h.slash(text)).ack?.text).toMatch(message);
    const dry = await h.slash('overlay create dry-net --dry-run');
    expect(dry.result?.text).toMatch(/Dry run: would create overlay dry-net/);
    expect(overlays()).toBe(before);
  });

  it('lists overlays with their settings', async () => {
    const r = await h.slash('overlay ls');
    expect(r.resultText).toMatch(/enc-net\s+overlay\s+yes\s+no/);
    expect(r.resultText).toMatch(/plain-net\s+overlay\s+no\s+yes\s+10\.90\.0\.0\/24/);
    expect(r.resultText).toMatch(/ingress +overlay/);
  });

  it('overlay check: a plain overlay reaches every node; no probe is left', async () => {
    const r = await h.slash('overlay check plain-net');
    expect(r.result?.text).toMatch(/Overlay check plain-net: passed/);
    for (const n of ['lab-n1', 'lab-n2', 'lab-n3', 'lab-n4']) expect(r.resultText).toContain(n);
    expect(r.resultText).toMatch(/Every node reached every other node over `plain-net` \(12 pairs\)/);
    expect(services()).toBe('');
  });

  it('overlay check: an encrypted overlay that carries no data here FAILS, naming the pairs; no probe is left', async () => {
    const r = await h.slash('overlay check enc-net');
    expect(r.result?.text).toMatch(/Overlay check enc-net: FAILED/);
    expect(r.resultText).toMatch(/Failed pairs \(\d+\)/);
    expect(r.resultText).toMatch(/lab-n1 → lab-n2/);
    expect(r.resultText).toMatch(/encrypted: IPsec/);
    expect(services()).toBe('');
  });

  it('overlay rm refuses while a service uses the network, then removes it; never ingress', async () => {
    docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', 'user-svc', '--network', 'plain-net', '--stop-grace-period', '1s', 'swarm-ops/probe:latest', 'sleep', '3600');
    const busy = await h.slash('overlay rm plain-net');
    expect(busy.resultText).toMatch(/`plain-net` is in use by service `user-svc`/);
    expect(overlays()).toContain('plain-net');
    docker('lab-n1', 'service', 'rm', 'user-svc');
    await until('plain-net unused', () => docker('lab-n1', 'network', 'inspect', 'plain-net', '--verbose', '--format', '{{len .Services}}') === '0', 60_000);
    const ok = await h.slash('overlay rm plain-net');
    expect(ok.result?.text).toMatch(/Removed overlay plain-net/);
    // the manager the CLI asks may learn of the removal a moment after the leader
    await until('plain-net gone', () => !overlays().includes('plain-net'), 15_000);
    const ingress = await h.slash('overlay rm ingress');
    expect(ingress.resultText).toMatch(/routing-mesh network/);
    expect(overlays()).toContain('ingress');
  });

  it('drain and activate, verified with docker node inspect', async () => {
    const dry = await h.slash('drain lab-n4 --dry-run');
    expect(dry.result?.text).toMatch(/Dry run: would drain lab-n4/);
    expect(nodeSpec('lab-n4', '{{.Spec.Availability}}')).toBe('active');
    const d = await h.slash('drain lab-n4');
    expect(d.result?.text).toMatch(/lab-n4 is now drained/);
    expect(nodeSpec('lab-n4', '{{.Spec.Availability}}')).toBe('drain');
    const m = await h.slash('drain lab-n2');
    expect(m.resultText).toMatch(/a drained manager still votes/);
    expect(nodeSpec('lab-n2', '{{.Spec.Availability}}')).toBe('drain');
    await h.slash('activate lab-n2');
    const a = await h.slash('activate lab-n4');
    expect(a.result?.text).toMatch(/lab-n4 is now active/);
    expect(nodeSpec('lab-n4', '{{.Spec.Availability}}')).toBe('active');
    expect(nodeSpec('lab-n2', '{{.Spec.Availability}}')).toBe('active');
  });

  it('promote and demote through approval, verified with docker node ls', async () => {
    const promoted = await approved('promote lab-n4');
    expect(promoted).toMatch(/Approved and done: lab-n4 is now a manager/);
    await until('lab-n4 reachable manager', () => /reachable/i.test(nodeSpec('lab-n4', '{{if .ManagerStatus}}{{.ManagerStatus.Reachability}}{{end}}')), 40_000);
    expect(docker('lab-n1', 'node', 'ls', '--filter', 'role=manager', '--format', '{{.Hostname}}')).toContain('lab-n4');
    const demoted = await approved('demote lab-n4');
    expect(demoted).toMatch(/Approved and done: lab-n4 is now a worker/);
    expect(nodeSpec('lab-n4', '{{.Spec.Role}}')).toBe('worker');
  });

  it('an ambiguous, too short or unknown node is a clear error and changes nothing', async () => {
    const before = docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.Availability}}');
    expect((await h.slash('drain lab-n9')).resultText).toMatch(/No node `lab-n9`/);
    expect((await h.slash('drain lab')).resultText).toMatch(/hostnames start with it: `lab-n1`, `lab-n2`, `lab-n3`, `lab-n4`/);
    // a one-character ID prefix never picks a node (if it also starts hostnames, those are listed instead)
    const id = docker('lab-n1', 'node', 'ls', '-q').split('\n')[0]!;
    expect((await h.slash(`drain ${id.slice(0, 1)}`)).resultText).toMatch(/at least 4 characters|hostnames start with it/);
    expect(docker('lab-n1', 'node', 'ls', '--format', '{{.Hostname}} {{.Availability}}')).toBe(before);
  });

  it('a demote that would lose quorum (one manager stopped) is refused and changes nothing', async () => {
    labSh('stop', 'lab-n3');
    try {
      await until('lab-n3 unreachable', () => /Unreachable/.test(docker('lab-n1', 'node', 'ls', '--filter', 'name=lab-n3', '--format', '{{.ManagerStatus}}')));
      const r = await h.slash('demote lab-n2');
      expect(r.result?.response_type).toBe('ephemeral');
      expect(r.resultText).toMatch(/Demoting `lab-n2` would lose quorum: 1 of 2 managers reachable; quorum needs 2/);
      expect(r.resultText).toMatch(/Unreachable now: `lab-n3`/);
      expect(nodeSpec('lab-n2', '{{.Spec.Role}}')).toBe('manager');
      // no approval request was posted in the channel (the refusal is audited in the audit channel)
      expect(h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS' && JSON.stringify(p.body).includes('demote lab-n2'))).toEqual([]);
      expect(JSON.stringify(h.auditPosts().at(-1))).toMatch(/refused/);
    } finally {
      labSh('start', 'lab-n3');
      await until('lab-n3 back', () => /Reachable/.test(docker('lab-n1', 'node', 'ls', '--filter', 'name=lab-n3', '--format', '{{.ManagerStatus}}')), 120_000);
    }
  }, 300_000);
});
