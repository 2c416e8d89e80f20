/**
 * Changes made outside swarm-ops, pure: what changed (env names, never
 * values), the first pass silent, swarm-ops' own changes and Docker's
 * rollbacks recorded without a word, a moved version alone is no change.
 */
import { describe, expect, it } from 'vitest';
import { describeChange, outsideChanges, recordOf } from '../../src/watch/outside-changes.js';
import type { SwarmService } from '../../src/ports.js';
import { service } from '../support/fixtures.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const web = service('web', { replicas: 2, envNames: ['MODE'], ports: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'ingress' }] });
const records = [recordOf('prod', web, T0 - 60_000)];
const changed = (over: Partial<SwarmService>) => ({ ...web, version: web.version + 3, fingerprint: `${web.fingerprint}+`, ...over });
const run = (services: SwarmService[], o: { own?: string[]; firstPass?: boolean } = {}) =>
  outsideChanges({ cluster: 'prod', now: T0, services, records, own: (o.own ?? []).map((serviceId) => ({ cluster: 'prod', serviceId, requestId: 'r1', at: T0 - 1000, until: T0 + 60_000 })), firstPass: o.firstPass ?? false });

describe('changes made outside swarm-ops', () => {
  it('the first pass records every service and says nothing', () => {
    const r = outsideChanges({ cluster: 'prod', now: T0, services: [web, service('api')], records: [], own: [], firstPass: true });
    expect(r.changes).toEqual([]);
    expect(r.quiet.map((x) => x.name)).toEqual(['web', 'api']);
  });

  it('nothing moved, or only the version (Docker\'s own status writes): nothing to say, nothing to write', () => {
    expect(run([web])).toEqual({ changes: [], quiet: [], used: [] });
    expect(run([{ ...web, version: web.version + 7, update: { state: 'completed', message: 'update completed' } }])).toEqual({ changes: [], quiet: [], used: [] });
  });

  it('an env variable added over ssh: its name, never its value, with Roll back', () => {
    const r = run([changed({ envNames: ['MODE', 'FOO'], previous: { image: web.image, replicas: 2, fingerprint: web.fingerprint }, updatedAt: new Date(T0 - 30_000) })]);
    expect(r.changes).toMatchObject([{ type: 'changed', name: 'web', lines: ['environment variable added: `FOO`'], rollback: true, at: T0 - 30_000 }]);
    expect(JSON.stringify(r)).not.toMatch(/secret/);
  });

  it('image, replicas, ports, constraints, a forced restart; the same names with a moved fingerprint is a value changed', () => {
    const before = records[0]!;
    const after = recordOf('prod', changed({ image: 'registry.example/app:2.0', replicas: 4, ports: [], constraints: ['node.role==worker'], forceUpdate: 1 }), T0);
    expect(describeChange(before, after)).toEqual([
      'image `registry.example/app:1.0` → `registry.example/app:2.0`',
      'replicas 2 → 4',
      'port no longer published: `8080:80/tcp`',
      'constraint added: `node.role==worker`',
      'every task restarted (`--force`)',
    ]);
    expect(describeChange(before, { ...before, fingerprint: 'other' })).toEqual(['the value of an environment variable (the names are the same; values are never shown)']);
  });

  it('swarm-ops\' own change (noted before it was sent) is recorded without a word, and the note used', () => {
    const r = run([changed({ replicas: 3 })], { own: [web.id] });
    expect(r.changes).toEqual([]);
    expect(r.quiet).toMatchObject([{ id: web.id, replicas: 3 }]);
    expect(r.used).toEqual([web.id]);
  });

  it('Docker rolling back on its own is the rollout incident\'s business; a rollback asked for over ssh is a change', () => {
    expect(run([changed({ update: { state: 'rollback_completed', message: 'rollback completed' } })]).changes).toEqual([]);
    expect(run([changed({ update: { state: 'rollback_completed', message: 'manually requested rollback' } })]).changes).toHaveLength(1);
  });

  it('services created and removed outside are noted; the overlay check\'s probe is not', () => {
    const r = run([service('api', { image: 'registry.example/api:1' }), service('swarm-ops-probe-req1', { mode: 'global' })]);
    expect(r.changes.map((c) => `${c.type} ${c.name}`)).toEqual(['created api', 'removed web']);
    expect(r.changes[0]!.lines).toEqual(['image `registry.example/api:1`, replicas 2']);
  });
});
