import type { Audit } from './audit-trail.js';
import type { Log } from '../log.js';
import type { AuditHistory, ChatPort, Claims, Clock, ClusterCredentials, CredentialStore, PendingApprovals, PolicyStore, Swarm, UnlockKeyStore } from '../ports.js';

/** What every job that works on a swarm needs: the worker, the scheduled functions (rotate, sweep, watch). */
export interface SwarmJobDeps {
  policies: PolicyStore;
  credentials: CredentialStore;
  swarmFor: (creds: ClusterCredentials) => Swarm;
  audit: Audit;
  log: Log;
  clock: Clock;
  chat: ChatPort;
  /** the bot's own table: decisions, scheduled ticks, probes */
  claims: Claims;
  pending: PendingApprovals;
  history: AuditHistory;
  unlockKeys: UnlockKeyStore;
}

/** The swarm of a named cluster, with its credentials from SSM. */
export const swarmOf = (deps: Pick<SwarmJobDeps, 'credentials' | 'swarmFor'>) => async (cluster: string) =>
  deps.swarmFor(await deps.credentials.clusterCredentials(cluster));
