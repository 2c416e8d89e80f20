/**
 * The cluster's `approve` list, a stack rolled back as one approved request,
 * and drain's blast radius, on the real swarm through the real handlers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION } from '../../src/domain/approval.js';
import { docker } from './lab.js';
import { labPolicy, labUnavailable, startHarness, USERS, type Harness } from './harness.js';

const IMAGE = 'swarm-ops/probe:latest';
const V2 = 'swarm-ops/probe:v2';
const imageOf = (svc: string) => docker('lab-n1', 'service', 'inspect', svc, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}');

const COMPOSE = `version: "3.8"
services:
  web:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
      update_config: { monitor: 1s }
  api:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
      update_config: { monitor: 1s }
`;

async function waitFor(what: string, ok: () => boolean, ms = 90_000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) if (ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(labUnavailable())('approvals for services, stack rollback, drain blast radius', () => {
  let h: Harness;
  let dir: string;
  let ts = 1_700_000_500;
  beforeAll(async () => {
    h = await startHarness({ policy: { ...labPolicy(), clusters: { lab: { rotate: ['worker'], approve: ['service update'] } } } });
    for (const n of h.lab.nodes) docker(n.name, 'tag', IMAGE, V2);
    dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-stack-'));
    writeFileSync(path.join(dir, 'shop.yml'), COMPOSE);
    docker('lab-n1', 'stack', 'deploy', '--resolve-image', 'never', '-c', path.join(dir, 'shop.yml'), 'shop');
    docker('lab-n1', 'service', 'create', '--detach', '--no-resolve-image', '--name', 'svc-pinned', '--constraint', 'node.hostname==lab-n3', IMAGE, 'sleep', '3600');
    await waitFor('the stack and the pinned service', () => /shop_web 1\/1[\s\S]*/.test(docker('lab-n1', 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}')) && docker('lab-n1', 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}').split('\n').filter((l) => / 1\/1$/.test(l) && /shop_|svc-pinned/.test(l)).length === 3);
  }, 150_000);
  afterAll(async () => {
    try {
      docker('lab-n1', 'stack', 'rm', 'shop');
      docker('lab-n1', 'service', 'rm', 'svc-pinned');
    } catch {
      // gone
    }
    rmSync(dir, { recursive: true, force: true });
    await h?.close();
  });

  /** the last approval request posted in the channel, and its Approve button's value */
  const approvalRequest = () => {
    const posted = h.slack.posts.filter((p) => p.method === 'chat.postMessage' && p.body['channel'] === 'C0PRODOPS').at(-1)!;
    const value = (posted.body['blocks'] as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === APPROVE_ACTION)!.value;
    return { text: JSON.stringify(posted.body), value };
  };

  it("a cluster whose approve list names service update: the request waits, shows image from → to, refuses self-approval; an approver's click rolls it out", async () => {
    const asked = await h.slash(`service update shop_web --image ${V2}`, { user: USERS.operator });
    expect(asked.result?.text ?? asked.ack?.text).toMatch(/Approval requested/);
    const req = approvalRequest();
    expect(req.text).toMatch(/asks to update `shop_web` on `lab` from `swarm-ops\/probe:latest` to `swarm-ops\/probe:v2`/);
    expect(imageOf('shop_web')).toBe(IMAGE);
    const messageTs = `${ts++}.000100`;
    const own = await h.click({ actionId: APPROVE_ACTION, value: req.value, user: USERS.operator, messageTs });
    expect(JSON.stringify(own.responses)).toMatch(/can't approve your own request/);
    expect(imageOf('shop_web')).toBe(IMAGE);
    await h.click({ actionId: APPROVE_ACTION, value: req.value, user: USERS.approver, messageTs });
    const edits = h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['ts'] === messageTs).map((p) => JSON.stringify(p.body)).join('\n');
    expect(edits).toMatch(/Approved and done: Update done/);
    expect(imageOf('shop_web')).toBe(V2);
  });

  it('stack rollback: one approved request rolls every service of the stack back, one verdict each', async () => {
    docker('lab-n1', 'service', 'update', '--detach', '--no-resolve-image', '--image', V2, 'shop_api');
    await waitFor('shop_api on v2', () => imageOf('shop_api') === V2 && docker('lab-n1', 'service', 'inspect', 'shop_api', '--format', '{{.UpdateStatus.State}}') === 'completed');
    const dry = await h.slash('stack rollback shop --dry-run', { user: USERS.operator });
    expect(dry.resultText).toMatch(/would roll back 2 services of stack shop on lab/);
    const asked = await h.slash('stack rollback shop', { user: USERS.operator });
    expect(asked.result?.text ?? asked.ack?.text).toMatch(/Approval requested/);
    const req = approvalRequest();
    expect(req.text).toMatch(/shop_api.*image swarm-ops\/probe:v2 → swarm-ops\/probe:latest/);
    const messageTs = `${ts++}.000100`;
    await h.click({ actionId: APPROVE_ACTION, value: req.value, user: USERS.approver, messageTs });
    const edits = h.slack.posts.filter((p) => p.method === 'chat.update' && p.body['ts'] === messageTs).map((p) => JSON.stringify(p.body)).join('\n');
    expect(edits).toMatch(/Stack shop rollback done/);
    expect(edits).toMatch(/shop_web`?: converged/);
    expect(edits).toMatch(/shop_api`?: converged/);
    expect(imageOf('shop_web')).toBe(IMAGE);
    expect(imageOf('shop_api')).toBe(IMAGE);
  });

  it('drain of the only node a constrained service may run on is refused without --force, naming the service', async () => {
    const r = await h.slash('drain lab-n3', { user: USERS.operator });
    expect(r.resultText).toMatch(/Draining `lab-n3` would leave `svc-pinned` with no other node to run on/);
    expect(r.resultText).toMatch(/drain lab-n3 --force/);
    expect(docker('lab-n1', 'node', 'inspect', 'lab-n3', '--format', '{{.Spec.Availability}}')).toBe('active');
    const dry = await h.slash('drain lab-n3 --force --dry-run', { user: USERS.operator });
    expect(dry.resultText).toMatch(/svc-pinned\s+1 of 1\s+NO OTHER NODE/);
    expect(docker('lab-n1', 'node', 'inspect', 'lab-n3', '--format', '{{.Spec.Availability}}')).toBe('active');
  });
});
