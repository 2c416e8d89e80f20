/**
 * What the watch sees of a swarm in one pass, with as few Docker calls as its
 * state allows: `/nodes`, `/services?status=true` and `/tasks` when all is well
 * (two requests for the services and their tasks, however many there are), each manager's `/info` when one
 * is missing or the certificates are due their daily look, and `GET /swarm`
 * for a root CA rotation under way. A swarm it can't read is an observation
 * too (a failure with a code), never an exception.
 */
import { ConfigError, describeError, isUserFacing } from '../errors.js';
import { readOnly, type InfoProbe, type SwarmReader } from '../ports.js';
import { swarmOf, type SwarmJobDeps } from '../shared/job-deps.js';
import type { Observation } from './detect.js';
import { DAY_MS } from '../domain/time-format.js';

export function createObserver(deps: Pick<SwarmJobDeps, 'swarmFor' | 'credentials' | 'log'>) {
  const { log } = deps;
  const swarmFor = swarmOf(deps);

  /** The Docker calls of one pass: as few as the swarm's state allows (two when all is well). */
  async function observe(cluster: string, certsCheckedAt: number | undefined, now: number): Promise<Observation> {
    let swarm: SwarmReader;
    try {
      swarm = readOnly(await swarmFor(cluster));
    } catch (err) {
      return { failure: failureOf(cluster, err) };
    }
    let nodes;
    try {
      nodes = await swarm.nodes.list();
    } catch (err) {
      const failure = failureOf(cluster, err);
      // the stored credentials may have been replaced: read them afresh next time
      if (failure.code === 'TLS') deps.credentials.invalidate(cluster);
      return { failure, probes: await swarm.nodes.probeManagers().catch(() => []) };
    }
    const certsDue = certsCheckedAt === undefined || now - certsCheckedAt >= DAY_MS;
    const missing = nodes.some((n) => n.role === 'manager' && n.manager?.reachability !== 'reachable');
    const [probes, rotating, services] = await Promise.all([
      missing || certsDue ? swarm.nodes.probeManagers().catch(() => undefined) : undefined,
      rootRotationInProgress(swarm),
      servicesAndTasks(swarm, cluster),
    ]);
    const certs = certsDue && probes?.some((x) => x.info) ? certificates(probes) : undefined;
    return { nodes, ...(probes ? { probes } : {}), ...(rotating !== undefined ? { rootRotationInProgress: rotating } : {}), ...(certs ? { certs } : {}), ...(services ?? {}) };
  }

  /** every service with its status and every task: two requests, however many services there are; undefined when either failed */
  async function servicesAndTasks(swarm: SwarmReader, cluster: string): Promise<Pick<Observation, 'services' | 'tasks'> | undefined> {
    try {
      const [services, tasks] = await Promise.all([swarm.services.list(), swarm.services.tasks()]);
      return { services, tasks };
    } catch (err) {
      log.warn('watch could not read the services', { cluster, error: describeError(err) });
      return undefined;
    }
  }

  function failureOf(cluster: string, err: unknown): { code: string; message: string } {
    log.warn('watch could not read the swarm', { cluster, error: describeError(err) });
    if (isUserFacing(err)) return { code: err.code, message: err.message };
    if (err instanceof ConfigError) return { code: 'CONFIG', message: "its credentials could not be loaded (see the watch function's log)." };
    return { code: 'ERROR', message: "an internal error (see the watch function's log)." };
  }

  return observe;
}

/** The swarm's certificates the watch can see: the root CA, and each manager API's own TLS certificate. */
function certificates(probes: InfoProbe[]): NonNullable<Observation['certs']> {
  const root = probes.find((p) => p.info?.caExpiresAt)?.info?.caExpiresAt;
  return [
    ...(root ? [{ subject: 'root-ca', name: 'swarm root CA certificate', expiresAt: root }] : []),
    ...probes.flatMap((p) => (p.info?.apiCertExpiresAt ? [{ subject: `api ${p.endpoint}`, name: `TLS certificate of the manager API at ${p.endpoint}`, expiresAt: p.info.apiCertExpiresAt }] : [])),
  ];
}

/** `GET /swarm` came with the lifecycle commands: an adapter (or a daemon) without it is simply not asked again this pass. */
async function rootRotationInProgress(swarm: SwarmReader): Promise<boolean | undefined> {
  try {
    return typeof swarm.cluster?.inspect === 'function' ? (await swarm.cluster.inspect()).rootRotationInProgress : undefined;
  } catch {
    return undefined;
  }
}
