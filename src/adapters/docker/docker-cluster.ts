/**
 * The swarm's own settings: its CA (rotation), autolock and the unlock key.
 * Every change sends back the whole Spec read just before, with the version
 * read: swarmkit replaces the Spec as a whole and refuses a stale version.
 */
import { SwarmError } from '../../errors.js';
import type { ClusterInfo, ClusterRead, ClusterWrite } from '../../ports.js';
import { dockerMessage } from './docker-errors.js';
import { toClusterInfo, type DockerClusterSpec, type DockerSwarmSpec } from './docker-json.js';
import type { DockerTransport } from './docker-transport.js';
import type { DialRequest } from './docker-endpoint.js';
import { done, isUncertain, notDone, settleWrite, type Outcome } from './uncertain-write.js';

const forceRotateOf = (s: DockerSwarmSpec) => s.Spec.CAConfig?.ForceRotate ?? 0;
const autolockOf = (s: DockerSwarmSpec) => Boolean(s.Spec.EncryptionConfig?.AutoLockManagers);

const AUTOLOCK_OFF = 'Autolock is off on this swarm, so it has no unlock key. Turn it on with `/swarm autolock on` first.';

export class DockerCluster implements ClusterRead, ClusterWrite {
  constructor(private readonly t: DockerTransport) {}

  private read(): Promise<DockerSwarmSpec> {
    return this.t.call((s) => s.get<DockerSwarmSpec>('/swarm'));
  }

  async inspect(): Promise<ClusterInfo> {
    return toClusterInfo(await this.read());
  }

  /**
   * Sends `spec(current)` with the version of `current`, re-reading (which
   * also gives the next attempt a fresh version) when the outcome is unknown
   * or Docker says it was out of sequence, until `inPlace` says it is done.
   */
  private async update(
    what: string,
    current: DockerSwarmSpec,
    spec: (current: DockerSwarmSpec) => DockerClusterSpec,
    inPlace: (now: DockerSwarmSpec) => boolean,
    query: DialRequest['query'] = {},
  ): Promise<void> {
    await settleWrite<void>({
      write: async () => {
        const sent = spec(current);
        await this.t.call((s) => s.post<unknown>('/swarm/update', sent, { version: current.Version.Index, ...query }), { write: true });
      },
      readBack: async (): Promise<Outcome<void>> => {
        current = await this.read();
        return inPlace(current) ? done(undefined) : notDone;
      },
      attempts: 5,
      onRefused: (err) => new SwarmError('CONFLICT', `Docker refused the ${what}: ${dockerMessage(err)}`),
    });
  }

  async rotateCa(): Promise<void> {
    const current = await this.read();
    const before = forceRotateOf(current);
    // a counter that moved on since is a rotation under way (ours, unconfirmed, or someone's): not started twice
    await this.update(
      'CA rotation',
      current,
      (now) => ({ ...now.Spec, CAConfig: { ...now.Spec.CAConfig, ForceRotate: forceRotateOf(now) + 1 } }),
      (now) => forceRotateOf(now) > before,
    );
  }

  async setAutolock(on: boolean): Promise<void> {
    const current = await this.read();
    if (autolockOf(current) === on) return;
    await this.update(
      'change of autolock',
      current,
      (now) => ({ ...now.Spec, EncryptionConfig: { ...now.Spec.EncryptionConfig, AutoLockManagers: on } }),
      (now) => autolockOf(now) === on,
    );
  }

  /**
   * The new key can't be read back to tell whether an unconfirmed rotation
   * happened (it is a secret, and an older key looks no different): only an
   * out-of-sequence refusal, which surely changed nothing, is sent again.
   */
  async rotateUnlockKey(): Promise<void> {
    let current = await this.read();
    if (!autolockOf(current)) throw new SwarmError('CONFLICT', AUTOLOCK_OFF);
    let unknownOutcome: unknown;
    try {
      await settleWrite<void>({
        write: () =>
          this.t
            .call((s) => s.post<unknown>('/swarm/update', current.Spec, { version: current.Version.Index, rotateManagerUnlockKey: true }), { write: true })
            .then(
              () => undefined,
              (err: unknown) => {
                if (isUncertain(err)) unknownOutcome = err;
                throw err;
              },
            ),
        readBack: async () => {
          // settleWrite surfaces the UNCERTAIN error itself when the read-back fails
          if (unknownOutcome) throw unknownOutcome;
          current = await this.read();
          return notDone;
        },
        attempts: 5,
        onRefused: (err) => new SwarmError('CONFLICT', `Docker refused the unlock key rotation: ${dockerMessage(err)}`),
      });
    } catch (err) {
      if (!isUncertain(err)) throw err;
      throw new SwarmError(
        'UNCERTAIN',
        `${(err as Error).message} Whether the unlock key changed is unknown and it was not sent again: keep the swarm's current key again before a manager restarts.`,
        { cause: err },
      );
    }
  }

  /** The key is returned, never put into an error: every failure here is mapped to a message without it. */
  async unlockKey(): Promise<string> {
    let answer: { UnlockKey?: unknown };
    try {
      answer = await this.t.call((s) => s.get<{ UnlockKey?: unknown }>('/swarm/unlockkey'));
    } catch (err) {
      // dockerMessage redacts anything shaped like a key; our own errors say nothing of it
      if (err instanceof SwarmError) throw err;
      throw new SwarmError('CONFLICT', `Docker did not give the unlock key: ${dockerMessage(err)}`, { cause: err });
    }
    const key = answer?.UnlockKey;
    if (typeof key !== 'string' || !key) throw new SwarmError('CONFLICT', AUTOLOCK_OFF);
    return key;
  }
}
