/** What Docker's (and the network's) failures mean to swarm-ops. */
import { redactSecrets } from '../../errors.js';

/** Failures of one endpoint that make trying the next one worthwhile. */
export type EndpointFailure = 'unreachable' | 'tls' | 'not-manager' | 'no-leader' | 'locked';

export interface DockerErrorLike {
  statusCode?: number;
  json?: { message?: string } | null;
  code?: string;
  name?: string;
  message?: string;
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

export function dockerMessage(err: unknown): string {
  const e = err as DockerErrorLike;
  const raw = e?.json?.message ?? (typeof e?.json === 'string' ? e.json : undefined) ?? e?.message ?? String(err);
  return redactSecrets(String(raw).trim());
}

export function classify(err: unknown): EndpointFailure | undefined {
  const e = err as DockerErrorLike;
  const msg = dockerMessage(err);
  if (typeof e?.statusCode === 'number') {
    if (e.statusCode === 503 && /not a swarm manager|not part of a swarm/i.test(msg)) return 'not-manager';
    // a manager restarted under autolock refuses every swarm call until it is unlocked: the others may still answer
    if (e.statusCode === 503 && /encrypted and needs to be unlocked|encrypted and locked/i.test(msg)) return 'locked';
    if (/does not have a leader|no elected cluster leader|context deadline exceeded|rpc error: code = (Unavailable|DeadlineExceeded)/i.test(msg) || lostLeadership(err))
      return 'no-leader';
    return undefined;
  }
  if (TLS_CODES.test(e?.code ?? '') || /certificate|ssl|tls alert|alert (unknown ca|bad certificate)/i.test(e?.message ?? '')) return 'tls';
  return 'unreachable';
}

/** the error code of a handshake a pinned client refused: the request (and what it carries) was never sent */
export const CERT_PIN_MISMATCH = 'CERT_PIN_MISMATCH';

export const isTimeout = (err: unknown) => {
  const e = err as DockerErrorLike;
  return e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR' || e?.code === 'ETIMEDOUT' || /timed? ?out/i.test(e?.message ?? '');
};

export function describeFailure(kind: EndpointFailure, err: unknown): string {
  const e = err as DockerErrorLike;
  if (isTimeout(err)) return 'timed out';
  if (kind === 'tls') return `TLS failed (${e?.code ?? dockerMessage(err)})`;
  if (kind === 'unreachable') return e?.code ?? dockerMessage(err);
  if (kind === 'locked') return 'locked (autolock): unlock it with `/swarm unlock`';
  return dockerMessage(err);
}

/** The HTTP status of Docker's answer; undefined when the failure happened before any answer. */
export const statusOf = (err: unknown): number | undefined => {
  const s = (err as DockerErrorLike)?.statusCode;
  return typeof s === 'number' ? s : undefined;
};

/** swarmkit refuses a write made against a stale object version: re-read and retry. */
export const isOutOfSequence = (err: unknown) => /update out of sequence/i.test(dockerMessage(err));

/**
 * The leader lost its quorum while the change was in its Raft log: the entry
 * stays there and is committed if that manager wins the next election, so the
 * change may still happen minutes later, once the managers are back.
 */
export const lostLeadership = (err: unknown) => /lost leader(ship| status)/i.test(dockerMessage(err));

/**
 * A failure after the request may have left: a time-out, a reset or a hang-up
 * means the daemon may have acted on it, so it must not be sent elsewhere blindly.
 */
export const mayHaveArrived = (err: unknown) =>
  isTimeout(err) || lostLeadership(err) || /deadline|ECONNRESET|socket hang up/i.test(`${(err as DockerErrorLike)?.code ?? ''} ${dockerMessage(err)}`);
