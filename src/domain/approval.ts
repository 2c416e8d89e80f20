import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { strictBase64url } from './job-signature.js';

/**
 * An approval request travels in the Approve / Deny buttons' `value`,
 * signed so that a forged or edited value is refused. The key is derived
 * from the Slack signing secret (HKDF), so no extra secret needs managing.
 */
export const ApprovalRequest = z.object({
  v: z.literal(1),
  /** the request id of the original slash command; keys the decision */
  id: z.string().min(1).max(64),
  text: z.string().min(1).max(1000),
  cluster: z.string().min(1),
  requester: z.string().min(1),
  channel: z.string().min(1),
  /** expiry, ms since the epoch */
  exp: z.number().int(),
  /** what the approver saw (node ID, engine ID, certificate fingerprint): checked again before the change */
  binding: z.record(z.string().max(64), z.string().max(200)).optional(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

declare const verified: unique symbol;
/** A request whose signature was checked: only `verifyApproval` makes one, so only a real approval can run a change. */
export type VerifiedApproval = ApprovalRequest & { readonly [verified]: true };

export const APPROVE_ACTION = 'swarm-ops-approve';
export const DENY_ACTION = 'swarm-ops-deny';

/** Why a request was denied: picked from the Deny menu, recorded in the message and the audit. */
export const DENY_REASONS = {
  'not-now': 'Not now: bad timing',
  'wrong-target': 'Wrong node or cluster',
  'quorum-risk': 'Too risky for quorum',
  discuss: 'Needs discussion first',
  withdrawn: 'Withdrawn by the requester',
} as const;
export type DenyReason = keyof typeof DENY_REASONS;
export const isDenyReason = (v: unknown): v is DenyReason => typeof v === 'string' && Object.hasOwn(DENY_REASONS, v);

const keyFrom = (signingSecret: string) =>
  Buffer.from(hkdfSync('sha256', signingSecret, 'swarm-ops', 'approval-button-v1', 32));

export function signApproval(req: ApprovalRequest, signingSecret: string): string {
  const body = Buffer.from(JSON.stringify(ApprovalRequest.parse(req))).toString('base64url');
  const mac = createHmac('sha256', keyFrom(signingSecret)).update(body).digest('base64url');
  return `${body}.${mac}`;
}

/** The request, or undefined when the value was not signed by us or was changed. */
export function verifyApproval(value: string, signingSecret: string): VerifiedApproval | undefined {
  const [body, mac, extra] = value.split('.');
  if (!body || !mac || extra !== undefined) return undefined;
  const expected = createHmac('sha256', keyFrom(signingSecret)).update(body).digest();
  const given = strictBase64url(mac);
  if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed = ApprovalRequest.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    return parsed.success ? (parsed.data as VerifiedApproval) : undefined;
  } catch {
    return undefined;
  }
}
