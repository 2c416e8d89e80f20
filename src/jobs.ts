import { z } from 'zod';

/** The slash command as the ingress accepted it; the worker parses `text` again with the same registry. */
export const CommandJob = z.object({
  kind: z.literal('command'),
  requestId: z.string().min(1).max(64),
  text: z.string().max(1000),
  command: z.string().min(1),
  cluster: z.string().min(1),
  user: z.string().min(1),
  channel: z.string().min(1),
  /** the Slack workspace, checked against the policy's `teamId` */
  team: z.string().max(32).optional(),
  responseUrl: z.string().url(),
  issuedAt: z.string().datetime(),
});
export type CommandJob = z.infer<typeof CommandJob>;

export const AuditEventSchema = z.object({
  requestId: z.string().max(64),
  at: z.string().datetime(),
  user: z.string(),
  command: z.string(),
  cluster: z.string().optional(),
  outcome: z.enum(['requested', 'refused', 'succeeded', 'failed', 'dry-run', 'approved', 'denied', 'expired']),
  detail: z.string().max(2000),
  durationMs: z.number().int().nonnegative().optional(),
  approver: z.string().optional(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** An audit event raised where posting to Slack would slow the acknowledgement (the ingress). */
export const AuditJob = z.object({ kind: z.literal('audit'), event: AuditEventSchema, issuedAt: z.string().datetime() });
export type AuditJob = z.infer<typeof AuditJob>;

/** An Approve or Deny click; the worker checks the signed value and who clicked. */
export const DecisionJob = z.object({
  kind: z.literal('decision'),
  requestId: z.string().min(1).max(64),
  decision: z.enum(['approve', 'deny']),
  /** the Deny menu's choice */
  reason: z.string().max(40).optional(),
  value: z.string().max(2000),
  user: z.string().min(1),
  channel: z.string().min(1),
  messageTs: z.string().min(1),
  team: z.string().max(32).optional(),
  responseUrl: z.string().url(),
  issuedAt: z.string().datetime(),
});
export type DecisionJob = z.infer<typeof DecisionJob>;

export const Job = z.discriminatedUnion('kind', [CommandJob, AuditJob, DecisionJob]);
export type Job = z.infer<typeof Job>;
