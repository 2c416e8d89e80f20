import { randomUUID } from 'node:crypto';
import { knownClusters, type Policy } from '../config/policy.js';
import { reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import { code } from '../render/escape.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';

export type SweepDeps = Pick<SwarmJobDeps, 'policies' | 'pending' | 'claims' | 'chat' | 'audit' | 'log' | 'clock' | 'credentials' | 'swarmFor'>;

/**
 * Closes approval requests nobody answered: their buttons are replaced with
 * "Expired" and the expiry is audited, once (the same claim as a decision,
 * so a click at the same moment and the sweep can't both close it). The
 * requests come from the table by a query on their expiry: no swarm is
 * asked, so a swarm without a leader doesn't keep a request open.
 */
export function createApprovalSweep(deps: SweepDeps) {
  return async (): Promise<{ expired: string[]; legacyRemoved: number }> => {
    const policy = await deps.policies.policy();
    const attempt = randomUUID();
    const now = deps.clock.now();
    const expired: string[] = [];
    for (const p of await deps.pending.due(now)) {
      try {
        if (await deps.claims.claim(`decision#${p.id}`, attempt, { note: 'expired unanswered' })) {
          const at = `${new Date(p.exp).toISOString().slice(11, 16)} UTC`;
          await deps.chat
            .update(
              p.channel,
              p.ts,
              reply('Expired', 'warn', [
                { kind: 'text', text: `${code(`/swarm ${p.text}`)} for ${code(p.cluster)}, requested by <@${p.requester}>.` },
                { kind: 'text', text: `Nobody decided before ${at}; nothing was done. Run the command again to ask anew.` },
                { kind: 'context', text: `Request \`${p.id}\`` },
              ]),
            )
            .catch((err) => deps.log.error('could not update an expired approval message', { requestId: p.id, error: describeError(err) }));
          await deps.audit.record(
            { requestId: p.id, at: now.toISOString(), user: p.requester, command: p.text, cluster: p.cluster, outcome: 'expired', detail: `Expired unanswered at ${at}; nothing was done.` },
            policy,
          );
          expired.push(p.id);
        }
        await deps.pending.forget(p.id);
      } catch (err) {
        // one request that can't be closed now is tried again on the next run
        deps.log.warn('approval sweep could not close a request', { requestId: p.id, error: describeError(err) });
      }
    }
    return { expired, legacyRemoved: await removeLegacyState(deps, policy) };
  };
}

/**
 * An earlier version kept claims and pending approvals as Docker configs in
 * the swarm. Each cluster's leftovers are removed once, and that is audited;
 * a cluster out of reach is tried again on the next run.
 */
async function removeLegacyState(deps: SweepDeps, policy: Policy): Promise<number> {
  let removed = 0;
  for (const cluster of knownClusters(policy)) {
    const done = `legacy-cleanup#${cluster}`;
    try {
      if (await deps.claims.holder(done)) continue;
      const swarm = deps.swarmFor(await deps.credentials.clusterCredentials(cluster));
      const configs = await swarm.legacyState.list();
      for (const c of configs) await swarm.legacyState.remove(c.id);
      await deps.claims.claim(done, 'sweep', { ttlSeconds: 3650 * 86_400, note: `${configs.length} removed` });
      removed += configs.length;
      if (configs.length) {
        await deps.audit.record(
          {
            requestId: `legacy-${cluster}`.slice(0, 64),
            at: deps.clock.now().toISOString(),
            user: 'sweep',
            command: 'remove legacy state (scheduled)',
            cluster,
            outcome: 'succeeded',
            detail: `Removed ${configs.length} Docker config${configs.length === 1 ? '' : 's'} an earlier swarm-ops version kept in the swarm (swarm-ops.op.*, swarm-ops.pending.*); the bot's state now lives in its own table.`,
          },
          policy,
        );
      }
    } catch (err) {
      deps.log.warn('legacy state clean-up skipped a cluster', { cluster, error: describeError(err) });
    }
  }
  return removed;
}
