import { describe, expect, it } from 'vitest';
import { assessRollout, followRollout } from '../../src/shared/rollout.js';
import { rolloutReply } from '../../src/shared/rollout-reply.js';
import { service, task } from '../support/fixtures.js';

describe('assessRollout', () => {
  it('a global service just updated (no status yet, no new task yet) is not converged', () => {
    const svc = service('agent', { mode: 'global', running: 3, desired: 3 });
    expect(assessRollout(svc, [], 'image').verdict).toBeUndefined();
    const all = ['n1', 'n2', 'n3'].map((n) => task(svc, undefined, n));
    expect(assessRollout(svc, all, 'image').verdict).toBe('converged');
  });
  it('a scale-down is converged only once the removed tasks are gone and stopped', () => {
    const svc = service('web', { replicas: 2, running: 4, desired: 2 });
    const four = [1, 2, 3, 4].map((i) => task(svc, i, 'n1'));
    expect(assessRollout(svc, four, 'scale').verdict).toBeUndefined();
    const stopping = [task(svc, 1, 'n1'), task(svc, 2, 'n1'), task(svc, 3, 'n1', { desiredState: 'shutdown' })];
    expect(assessRollout(svc, stopping, 'scale').verdict).toBeUndefined();
    expect(assessRollout(svc, stopping.slice(0, 2), 'scale').verdict).toBe('converged');
  });
  it("Docker's pause names the task from its message; a paused rollback offers no Roll back (it would go forward again)", () => {
    const svc = service('web', { update: { state: 'paused', message: 'update paused due to failure or early termination of task taskbad' } });
    const bad = task(svc, 1, 'n2', { id: 'taskbad'.padEnd(25, '0'), state: 'rejected', error: 'No such image: x' });
    const view = assessRollout(svc, [bad], 'image');
    expect(view).toMatchObject({ verdict: 'paused', failing: { id: bad.id } });
    const sign = (c: string) => `signed ${c}`;
    const reply = rolloutReply([{ name: 'web', what: 'image a → b', view }], { cluster: 'prod', verb: 'Update', hosts: new Map(), followed: '10 min', sign });
    expect(reply.parts.some((p) => p.kind === 'buttons')).toBe(true);
    const back = assessRollout({ ...svc, update: { state: 'rollback_paused', message: 'rollback paused' } }, [bad], 'rollback');
    const r2 = rolloutReply([{ name: 'web', what: 'the previous spec', view: back }], { cluster: 'prod', verb: 'Rollback', hosts: new Map(), followed: '10 min', sign });
    expect(r2.parts.some((p) => p.kind === 'buttons')).toBe(false);
    expect(JSON.stringify(r2.parts)).toMatch(/service update web --image <a good image>/);
  });
});

describe('followRollout', () => {
  it('a look that fails is tried again at the next poll; the verdict still comes', async () => {
    const svc = service('web', { replicas: 1, running: 1, desired: 1 });
    let calls = 0;
    const view = await followRollout({
      services: {
        inspect: async () => {
          if (++calls === 1) throw new Error('no leader for a moment');
          return svc;
        },
        tasks: async () => [task(svc, 1, 'n1')],
      },
      serviceId: svc.id,
      op: 'image',
      followMs: 10_000,
      pollMs: 1,
      progress: () => undefined,
      now: () => Date.now(),
    });
    expect(calls).toBe(2);
    expect(view.verdict).toBe('converged');
  });
});
