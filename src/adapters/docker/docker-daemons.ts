/**
 * Calls to one daemon's own API rather than to whichever manager answers:
 * unlocking a locked manager, forcing a new cluster on a survivor, leaving,
 * and the join preflight's image check and one-off container.
 */
import { redactSecrets, SwarmError } from '../../errors.js';
import type { DaemonInfo, DaemonOps } from '../../ports.js';
import { dockerMessage, statusOf } from './docker-errors.js';
import { toDaemonInfo, type DockerInfo } from './docker-json.js';
import { runOnce, type RunOnceSpec } from './docker-run-once.js';
import type { DockerTransport, Session } from './docker-transport.js';
import { done, notDone, settleWrite, type Outcome } from './uncertain-write.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DaemonTimeouts {
  /** time limit of a call that answers only when the daemon is done (unlock, force-new-cluster, leave) */
  slowCallMs?: number;
  /** how long an unconfirmed force-new-cluster is watched for the daemon to come back as the only manager */
  settleMs?: number;
}

/** The swarm state worth keeping across a force-new-cluster, which otherwise resets it (see `forceNewCluster`). */
export interface KeptClusterSettings {
  forceRotate: number;
  autolock: boolean;
}

/** the error as it is, unless its message holds `secret`: then the same error without it */
function withoutSecret(err: unknown, secret: string): unknown {
  if (!(err instanceof SwarmError) || !err.message.includes(secret)) return err;
  return new SwarmError(err.code, err.message.split(secret).join('[unlock key]'));
}

function unlockRefused(url: string, err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if (statusOf(err) === 401 || /invalid key/i.test(msg)) {
    return new SwarmError(
      'VALIDATION',
      `The kept unlock key does not unlock ${url} (Docker: ${msg}); the manager stays locked. Was the key rotated without being kept? Nothing was changed.`,
    );
  }
  if (statusOf(err) === 409 || /not locked/i.test(msg)) return new SwarmError('CONFLICT', `${url} is not locked: there is nothing to unlock.`);
  if (/not part of a swarm|not a swarm manager/i.test(msg)) {
    return new SwarmError('VALIDATION', `${url} is not a locked manager (${msg}): only a manager that restarted locked can be unlocked.`);
  }
  return new SwarmError('CONFLICT', `Docker refused to unlock ${url}: ${msg}`);
}

function forceNewClusterRefused(url: string, err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if (/not a swarm manager|worker/i.test(msg)) {
    return new SwarmError('VALIDATION', `${url} is not a manager (${msg}): a new cluster can only be forced from a surviving manager.`);
  }
  if (/encrypted and needs to be unlocked|locked/i.test(msg)) {
    return new SwarmError('CONFLICT', `${url} is locked (autolock): unlock it with \`/swarm unlock\` first. (${msg})`);
  }
  return new SwarmError('CONFLICT', `Docker refused to force a new cluster on ${url}: ${msg}`);
}

function leaveRefused(url: string, err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if (/encrypted and locked/i.test(msg)) return new SwarmError('CONFLICT', `${url} is locked (autolock): unlock it first, or make it leave with force.`);
  if (/participating as a manager/i.test(msg)) {
    return new SwarmError('QUORUM_GUARD', `${url} is a manager: Docker lets it leave only with force, as its leaving may cost the swarm its quorum. (${msg})`);
  }
  return new SwarmError('CONFLICT', `Docker refused to let ${url} leave the swarm: ${msg}`);
}

/** what Docker's image routes accept, and nothing that could walk to another path */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]*$/i;

/** the survivor is a manager with a leader again, and the only manager it knows: the cluster was forced anew */
const forcedAnew = (i: DaemonInfo) =>
  i.localState === 'active' && i.controlAvailable && i.remoteManagers.length === 1 && i.remoteManagers[0]!.nodeId === i.nodeId;

export class DockerDaemons implements DaemonOps {
  private readonly slowCallMs: number;
  private readonly settleMs: number;

  constructor(
    private readonly t: DockerTransport,
    timeouts: DaemonTimeouts = {},
  ) {
    this.slowCallMs = timeouts.slowCallMs ?? 45_000;
    this.settleMs = timeouts.settleMs ?? 15_000;
  }

  /** a client whose sockets may stay silent as long as a slow call takes; with `pin`, held to that certificate */
  private slow(url: string, pin?: string) {
    return this.t.daemon(url, this.slowCallMs + 15_000, pin);
  }

  private async info(session: Session, url: string): Promise<DaemonInfo> {
    try {
      return toDaemonInfo(url, await session.get<DockerInfo>('/info'), session.cert);
    } catch (err) {
      throw this.t.daemonError(url, err);
    }
  }

  async unlock(url: string, unlockKey: string, expect?: { certFingerprint: string }): Promise<void> {
    if (!unlockKey) throw new SwarmError('VALIDATION', 'No unlock key is kept for this cluster: nothing to unlock with.');
    // pinned: a daemon that took the address since the plan fails the handshake, before the key is sent
    const d = await this.slow(url, expect?.certFingerprint);
    try {
      await settleWrite<void>({
        // Docker answers when the manager has started with the key, or found it wrong
        write: () =>
          this.t.daemonWrite(url, 'the unlock', () => d.session(AbortSignal.timeout(this.slowCallMs)).post<unknown>('/swarm/unlock', { UnlockKey: unlockKey })).then(
            () => undefined,
          ),
        readBack: async () => ((await this.info(d.session(AbortSignal.timeout(this.t.callTimeoutMs)), url)).localState === 'locked' ? notDone : done(undefined)),
        onRefused: (err) => unlockRefused(url, err),
      });
    } catch (err) {
      // Docker's text is redacted already; a key of another shape is taken out here
      throw withoutSecret(err, unlockKey);
    }
  }

  /**
   * `POST /swarm/init` with ForceNewCluster. Docker then merges the request's
   * Spec into the cluster's, and takes `CAConfig.ForceRotate` and
   * `EncryptionConfig.AutoLockManagers` from it whatever they are: without
   * `keep`, autolock ends up off and a ForceRotate other than 0 starts a new
   * CA rotation. `keep` (the values last read while the swarm had a leader)
   * sends them back as they were. With `certFingerprint`, every call is
   * pinned to that certificate (the daemon that was approved, or nowhere).
   */
  async forceNewCluster(url: string, advertiseAddr: string, opts: { certFingerprint?: string; keep?: KeptClusterSettings } = {}): Promise<void> {
    const { keep } = opts;
    const d = await this.slow(url, opts.certFingerprint);
    const before = await this.info(d.session(AbortSignal.timeout(this.t.callTimeoutMs)), url);
    if (before.localState === 'inactive') {
      throw new SwarmError('VALIDATION', `${url} is not part of a swarm: forcing a new cluster there would start a new, empty one. Name a surviving manager.`);
    }
    if (before.localState === 'locked') throw new SwarmError('CONFLICT', `${url} is locked (autolock): unlock it with \`/swarm unlock\` first.`);
    const body = {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: advertiseAddr,
      ForceNewCluster: true,
      ...(keep ? { Spec: { CAConfig: { ForceRotate: keep.forceRotate }, EncryptionConfig: { AutoLockManagers: keep.autolock } } } : {}),
    };
    await settleWrite<void>({
      // answers only once the survivor runs as the one manager (~10 s or more)
      write: () =>
        this.t.daemonWrite(url, 'the new cluster', () => d.session(AbortSignal.timeout(this.slowCallMs)).post<unknown>('/swarm/init', body)).then(() => undefined),
      readBack: async (): Promise<Outcome<void>> => {
        const until = Date.now() + this.settleMs;
        for (;;) {
          const now = await this.info(d.session(AbortSignal.timeout(this.t.callTimeoutMs)), url).catch(() => undefined);
          if (now && forcedAnew(now)) return done(undefined);
          if (Date.now() >= until) return notDone;
          await sleep(Math.min(1000, this.settleMs));
        }
      },
      onRefused: (err) => forceNewClusterRefused(url, err),
    });
  }

  async leave(url: string, force: boolean): Promise<void> {
    const d = await this.slow(url);
    await settleWrite<void>({
      write: () =>
        this.t.daemonWrite(url, 'leaving the swarm', () => d.session(AbortSignal.timeout(this.slowCallMs)).post<unknown>('/swarm/leave', {}, { force })).then(
          () => undefined,
          (err: unknown) => {
            // a daemon that is in no swarm has left already (our own unconfirmed try, or someone)
            if (statusOf(err) === 503 && /not part of a swarm/i.test(dockerMessage(err))) return;
            throw err;
          },
        ),
      readBack: async () => ((await this.info(d.session(AbortSignal.timeout(this.t.callTimeoutMs)), url)).localState === 'inactive' ? done(undefined) : notDone),
      onRefused: (err) => leaveRefused(url, err),
    });
  }

  async hasImage(url: string, image: string): Promise<boolean> {
    if (!IMAGE_REF.test(image) || image.includes('..')) throw new SwarmError('VALIDATION', `\`${redactSecrets(image)}\` is not an image reference.`);
    const d = await this.t.daemon(url);
    try {
      // not encoded: Docker's route takes the name with its slashes, as the CLI sends it
      await d.session(AbortSignal.timeout(this.t.callTimeoutMs)).get<unknown>(`/images/${image}/json`);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      if (statusOf(err) === undefined) throw this.t.daemonError(url, err);
      throw new SwarmError('CONFLICT', `Docker on ${url} could not look up the image \`${image}\`: ${dockerMessage(err)}`);
    }
  }

  runOnce(url: string, spec: RunOnceSpec): Promise<{ exitCode: number; output: string }> {
    return runOnce(this.t, url, spec);
  }
}
