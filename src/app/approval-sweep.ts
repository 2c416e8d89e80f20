import { randomUUID } from 'node:crypto';
import { knownClusters } from '../config/policy.js';
import { reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import type { ChatPort } from '../ports.js';
import type { SwarmJobDeps } from './deps.js';
import { renderBlockKit } from '../render/block-kit.js';

export interface SweepDeps extends SwarmJobDeps {
  chat: ChatPort;
}

/**
 * Closes approval requests nobody answered: their buttons are replaced with
 * "Expired" and the expiry is audited, once (the same claim as a decision,
 * so a click at the same moment and the sweep can't both close it).
 */
export function createApprovalSweep(deps: SweepDeps) {
  return async (): Promise<Array<{ cluster: string; expired: string[]; error?: string }>> => {
    const policy = await deps.policies.policy();
    const attempt = randomUUID();
    const now = deps.clock.now();
    const results: Array<{ cluster: string; expired: string[]; error?: string }> = [];
    for (const cluster of knownClusters(policy)) {
      const expired: string[] = [];
      try {
        const swarm = deps.swarmFor(await deps.credentials.clusterCredentials(cluster));
        for (const p of await swarm.pendingApprovals()) {
          // two cluster names may lead to one swarm: each record is closed under its own name only
          if (p.cluster !== cluster || p.exp > now.getTime()) continue;
          if (await swarm.claimOperation({ key: `decision-${p.id}`, attempt, description: 'expired unanswered' })) {
            const at = `${new Date(p.exp).toISOString().slice(11, 16)} UTC`;
            await deps.chat
              .update(
                p.channel,
                p.ts,
                renderBlockKit(
                  reply('Expired', 'warn', [
                    { kind: 'text', text: `\`/swarm ${p.text}\` on \`${p.cluster}\`, requested by <@${p.requester}>.` },
                    { kind: 'text', text: `Nobody decided before ${at}; nothing was done. Run the command again to ask anew.` },
                    { kind: 'context', text: `Request \`${p.id}\`` },
                  ]),
                ),
              )
              .catch((err) => deps.log.error('could not update an expired approval message', { requestId: p.id, error: describeError(err) }));
            await deps.audit.record(
              { requestId: p.id, at: now.toISOString(), user: p.requester, command: p.text, cluster: p.cluster, outcome: 'expired', detail: `Expired unanswered at ${at}; nothing was done.` },
              policy.auditChannel,
            );
            expired.push(p.id);
          }
          await swarm.forgetPending(p.id);
        }
        results.push({ cluster, expired });
      } catch (err) {
        // one cluster out of reach (no quorum, no credentials) doesn't stop the others
        deps.log.warn('approval sweep skipped a cluster', { cluster, error: describeError(err) });
        results.push({ cluster, expired, error: describeError(err).message });
      }
    }
    return results;
  };
}
