import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { describeError, isUserFacing } from '../errors.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';

/** The EventBridge scheduled event, reduced to what keys a run. */
const ScheduledEvent = z.object({ id: z.string().min(1).optional(), time: z.string().optional() }).passthrough();

export type RotationDeps = Pick<SwarmJobDeps, 'policies' | 'credentials' | 'swarmFor' | 'claims' | 'audit' | 'log' | 'clock'>;

export interface RotationResult {
  cluster: string;
  outcome: 'succeeded' | 'failed' | 'skipped';
  detail: string;
}

/**
 * Rotates the join tokens each cluster's policy asks for. One cluster's
 * failure (e.g. no quorum) is reported and audited; the others still rotate.
 */
export function createScheduledRotation(deps: RotationDeps) {
  return async (rawEvent: unknown): Promise<RotationResult[]> => {
    const parsedEvent = ScheduledEvent.parse(rawEvent ?? {});
    // EventBridge gives each tick an id; a hand-run invoke without one is its own tick
    const event = { ...parsedEvent, id: parsedEvent.id ?? `manual-${deps.clock.now().toISOString()}` };
    const policy = await deps.policies.policy();
    const attempt = randomUUID();
    const results: RotationResult[] = [];
    for (const [cluster, settings] of Object.entries(policy.clusters)) {
      if (!settings.rotate.length) continue;
      const started = Date.now();
      const command = `rotate ${settings.rotate.join('+')} (scheduled)`;
      let result: RotationResult;
      try {
        // EventBridge may deliver one schedule tick twice; the table remembers the tick's id
        if (!(await deps.claims.claim(`sched#${cluster}#${event.id}`, attempt, { ttlSeconds: 7 * 86_400, note: command }))) {
          result = { cluster, outcome: 'skipped', detail: `Schedule event ${event.id} was already handled.` };
          deps.log.info('scheduled rotation already done for this tick', { cluster, tick: event.id });
        } else {
          const swarm = deps.swarmFor(await deps.credentials.clusterCredentials(cluster));
          const { rotated } = await swarm.tokens.rotate(settings.rotate);
          result = { cluster, outcome: 'succeeded', detail: `Rotated the ${rotated.join(' and ') || 'no'} join token(s).` };
        }
      } catch (err) {
        deps.log.error('scheduled rotation failed', { cluster, error: describeError(err) });
        result = {
          cluster,
          outcome: 'failed',
          detail: !isUserFacing(err)
            ? 'Not rotated: an internal error; see the logs.'
            : err.code === 'UNCERTAIN'
              ? `Unknown whether the tokens rotated: ${err.message} Check with \`/swarm rotate\` if in doubt.`
              : `Not rotated: ${err.message}`,
        };
      }
      results.push(result);
      if (result.outcome !== 'skipped') {
        await deps.audit.record(
          {
            requestId: `sched-${event.id}`.slice(0, 64),
            at: deps.clock.now().toISOString(),
            user: 'scheduler',
            command,
            cluster,
            outcome: result.outcome,
            detail: result.detail,
            durationMs: Date.now() - started,
          },
          policy,
        );
      }
    }
    return results;
  };
}
