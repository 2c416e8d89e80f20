import { randomUUID } from 'node:crypto';
import { reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import { code } from '../render/escape.js';
import type { SwarmJobDeps } from './deps.js';

export type SweepDeps = Pick<SwarmJobDeps, 'policies' | 'pending' | 'claims' | 'chat' | 'audit' | 'log' | 'clock'>;

/**
 * Closes approval requests nobody answered: their buttons are replaced with
 * "Expired" and the expiry is audited, once (the same claim as a decision,
 * so a click at the same moment and the sweep can't both close it). The
 * requests come from the table by a query on their expiry: no swarm is
 * asked, so a swarm without a leader doesn't keep a request open.
 */
export function createApprovalSweep(deps: SweepDeps) {
  return async (): Promise<{ expired: string[] }> => {
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
                { kind: 'text', text: `${code(`/swarm ${p.text}`)} on ${code(p.cluster)}, requested by <@${p.requester}>.` },
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
    return { expired };
  };
}
