import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The ingress signs every job it hands to the worker; the worker runs only
 * jobs that carry a good signature and are fresh. Anyone else allowed to
 * invoke the worker can't claim to be a Slack user, pick a cluster or aim
 * the answer at a URL of their own. The key is derived from the Slack
 * signing secret with a label of its own, so it differs from the approval
 * buttons' key and no extra secret needs managing.
 */
export const JOB_MAX_AGE_MS = 15 * 60_000;
/** clocks of two Lambdas differ a little; a job from further ahead is refused */
const FUTURE_SKEW_MS = 60_000;

const keyFrom = (signingSecret: string) => Buffer.from(hkdfSync('sha256', signingSecret, 'swarm-ops', 'job-signature-v1', 32));

/** Jobs are flat; anything nested deeper is not ours, and must not exhaust the stack before it is refused. */
const MAX_DEPTH = 8;

/** JSON with sorted keys, so that the signature does not depend on key order. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new RangeError('nested too deep for a job');
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** base64url decodes leniently (trailing bits, `+` for `-`): only the canonical spelling of a MAC counts. */
export const strictBase64url = (text: string): Buffer | undefined => {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
};

const mac = (body: unknown, signingSecret: string) => createHmac('sha256', keyFrom(signingSecret)).update(canonicalJson(body)).digest('base64url');

/** The job with its signature over every field, `issuedAt` included. */
export function signJob<J extends { issuedAt: string }>(job: J, signingSecret: string): J & { sig: string } {
  return { ...job, sig: mac(job, signingSecret) };
}

export type JobCheck = { ok: true; job: Record<string, unknown> } | { ok: false; why: string };

/**
 * Checks the signature, then the age (at most `maxAgeMs`: the worker's 15 min unless the caller knows better,
 * e.g. the failure notice, which hears of a job only after its run ended). The payload is still untrusted in
 * shape: zod parses it next.
 */
export function verifyJob(payload: unknown, signingSecret: string, now: Date, maxAgeMs = JOB_MAX_AGE_MS): JobCheck {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return { ok: false, why: 'not an object' };
  const { sig, ...job } = payload as Record<string, unknown>;
  if (typeof sig !== 'string' || !sig) return { ok: false, why: 'no signature' };
  let expected: Buffer;
  try {
    expected = Buffer.from(mac(job, signingSecret), 'base64url');
  } catch {
    return { ok: false, why: 'not a job (nested too deep)' };
  }
  const given = strictBase64url(sig);
  if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'bad signature' };
  const issued = typeof job['issuedAt'] === 'string' ? Date.parse(job['issuedAt']) : NaN;
  if (Number.isNaN(issued)) return { ok: false, why: 'no issuedAt' };
  const age = now.getTime() - issued;
  if (age > maxAgeMs) return { ok: false, why: `stale: issued ${Math.round(age / 60_000)} min ago` };
  if (age < -FUTURE_SKEW_MS) return { ok: false, why: 'issued in the future' };
  return { ok: true, job };
}
