import { z } from 'zod';
import { ConfigError, PermissionError, UnknownClusterError } from '../errors.js';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

const clusterName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'cluster names are letters, digits, - and _');
const userList = z.array(z.string().min(1)).default([]);

export const TokenKind = z.enum(['worker', 'manager']);
export type TokenKind = z.infer<typeof TokenKind>;

export const PolicySchema = z
  .object({
    defaultCluster: clusterName,
    auditChannel: z.string().min(1),
    channels: z.record(z.string(), clusterName).default({}),
    roles: z
      .object({ viewer: userList, operator: userList, approver: userList })
      .strict(),
    approvalTtlMinutes: z.number().int().min(1).max(24 * 60).default(15),
    probeImage: z.string().min(1).default('alpine:3'),
    rotateAfterJoin: z.boolean().default(true),
    clusters: z
      .record(clusterName, z.object({ rotate: z.array(TokenKind).default([]) }).strict())
      .default({}),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;

/** Parses the policy parameter; a bad policy is a clear error for the operator. */
export function parsePolicy(raw: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`The policy parameter is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`The policy parameter is invalid: ${issues}`);
  }
  return parsed.data;
}

function listed(list: readonly string[], user: string): boolean {
  return list.includes('*') || list.includes(user);
}

/** Operators and approvers may also do what viewers do. */
export function hasRole(policy: Policy, user: string, role: Role): boolean {
  const { viewer, operator, approver } = policy.roles;
  switch (role) {
    case 'viewer':
      return listed(viewer, user) || listed(operator, user) || listed(approver, user);
    case 'operator':
      return listed(operator, user);
    case 'approver':
      return listed(approver, user);
  }
}

export function requireRole(policy: Policy, user: string, role: Role, what: string): void {
  if (!hasRole(policy, user, role)) {
    const who = ROLES.filter((r) => hasRole(policy, user, r));
    throw new PermissionError(
      `You need the *${role}* role to ${what}` +
        (who.length ? ` (you have: ${who.join(', ')}).` : ' (you have no role in the swarm-ops policy).') +
        ' Ask a platform admin to add your Slack user ID to `roles.' + role + '` in the policy.',
    );
  }
}

export function knownClusters(policy: Policy): string[] {
  return [...new Set([policy.defaultCluster, ...Object.values(policy.channels), ...Object.keys(policy.clusters)])].sort();
}

/** `--cluster` wins, else the channel's cluster, else the default; unknown names are a user error. */
export function resolveCluster(policy: Policy, channel: string | undefined, requested: string | undefined): string {
  const name = requested ?? (channel ? policy.channels[channel] : undefined) ?? policy.defaultCluster;
  const known = knownClusters(policy);
  if (!known.includes(name)) {
    throw new UnknownClusterError(
      `Unknown cluster \`${name}\`. Known clusters: ${known.map((c) => `\`${c}\``).join(', ')}. ` +
        `Type \`--cluster ${known[0]}\` or leave --cluster out to use this channel's cluster.`,
    );
  }
  return name;
}
