import type { Audit } from '../audit.js';
import type { Log } from '../log.js';
import type { Clock, ClusterCredentials, CredentialStore, PolicyStore, SwarmPort } from '../ports.js';

/** What every job that works on a swarm needs: the worker, the scheduled rotation and the approval sweep. */
export interface SwarmJobDeps {
  policies: PolicyStore;
  credentials: CredentialStore;
  swarmFor: (creds: ClusterCredentials) => SwarmPort;
  audit: Audit;
  log: Log;
  clock: Clock;
}
