import { z } from 'zod';
import { ConfigError, PermissionError, UnknownClusterError } from '../errors.js';
import { canonicalCidr } from '../domain/ip-address.js';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

const clusterName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'cluster names are letters, digits, - and _');
export const TokenKind = z.enum(['worker', 'manager']);
export type TokenKind = z.infer<typeof TokenKind>;

const userList = z.array(z.string().min(1)).default([]);
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel ID such as C0PRODOPS (not a #name)');
const cidrText = z.string().transform((s, ctx) => {
  const canonical = canonicalCidr(s);
  if (canonical) return canonical;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `\`${s.slice(0, 100).replace(/`/g, "'")}\` is not a CIDR subnet. Type it as ADDRESS/PREFIX, e.g. 10.20.0.0/24` });
  return z.NEVER;
});

const ClusterPolicy = z
  .object({
    /** join tokens the scheduled `rotate` function rotates */
    rotate: z.array(TokenKind).default([]),
    /** commands for this cluster are accepted only from these channels (DMs refused) */
    allowChannels: z.array(channelId).optional(),
    /** replaces the global list of a role, for this cluster */
    roles: z.object({ viewer: z.array(z.string().min(1)), operator: z.array(z.string().min(1)), approver: z.array(z.string().min(1)) }).partial().strict().optional(),
    /** join targets outside these are refused before any connection */
    joinCidrs: z.array(cidrText).optional(),
    /** false: the hosts can't carry IPsec (ESP), so an encrypted overlay is created but passes no traffic (the swarm lab's kernel) */
    ipsec: z.boolean().optional(),
    /** the watch function polls this cluster and alerts this channel */
    watch: z.object({ channel: channelId, graceMinutes: z.number().min(0).max(24 * 60).default(3) }).strict().optional(),
    /** commands that need a second person on this cluster besides the manager-level ones, e.g. ["service update", "stack rollback"] */
    approve: z.array(z.string().regex(/^[a-z]+( [a-z]+)?$/, 'a command name such as "service update"')).default([]),
  })
  .strict();
export type ClusterPolicy = z.infer<typeof ClusterPolicy>;


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
    clusters: z.record(clusterName, ClusterPolicy).default({}),
    /** requests from another Slack workspace are refused */
    teamId: z.string().regex(/^[TE][A-Z0-9]{2,}$/, 'a Slack team ID such as T0WORKSPACE').optional(),
    auditRetentionDays: z.number().int().min(1).max(3650).default(400),
    /** how long the worker follows a rollout before it stops waiting (Lambda allows 15 minutes) */
    rolloutFollowSeconds: z.number().int().min(1).max(780).default(600),
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

/** A cluster's own role lists replace the global ones, role by role. */
function rolesFor(policy: Policy, cluster?: string): Policy['roles'] {
  const own = cluster ? policy.clusters[cluster]?.roles : undefined;
  return { ...policy.roles, ...own };
}

/** Operators and approvers may also do what viewers do. */
export function hasRole(policy: Policy, user: string, role: Role, cluster?: string): boolean {
  const { viewer, operator, approver } = rolesFor(policy, cluster);
  switch (role) {
    case 'viewer':
      return listed(viewer, user) || listed(operator, user) || listed(approver, user);
    case 'operator':
      return listed(operator, user);
    case 'approver':
      return listed(approver, user);
  }
}

export function requireRole(policy: Policy, user: string, role: Role, what: string, cluster?: string): void {
  if (!hasRole(policy, user, role, cluster)) {
    const who = ROLES.filter((r) => hasRole(policy, user, r, cluster));
    throw new PermissionError(
      `You need the *${role}* role to ${what}` +
        (who.length ? ` (you have: ${who.join(', ')}).` : ' (you have no role in the swarm-ops policy).') +
        ' Ask a platform admin to add your Slack user ID to ' +
        (cluster && policy.clusters[cluster]?.roles?.[role] ? `\`clusters.${cluster}.roles.${role}\`` : `\`roles.${role}\``) +
        ' in the policy.',
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
    // a name that can't be a cluster is not echoed: it may be markup aimed at the channel
    const shown = clusterName.safeParse(name).success ? `\`${name}\`` : 'that name';
    throw new UnknownClusterError(
      `Unknown cluster ${shown}. Known clusters: ${known.map((c) => `\`${c}\``).join(', ')}. ` +
        `Type \`--cluster ${known[0]}\` or leave --cluster out to use this channel's cluster.`,
    );
  }
  return name;
}

export interface Caller {
  user: string;
  channel?: string | undefined;
  team?: string | undefined;
}

/**
 * Who may do what where: the workspace, the cluster's channels, then the
 * role (the cluster's own lists first). Checked at the ingress and again in
 * the worker.
 */
export function authorize(policy: Policy, caller: Caller, cluster: string, role: Role, what: string): void {
  if (policy.teamId && caller.team !== undefined && caller.team !== policy.teamId) {
    throw new PermissionError('This swarm-ops serves another Slack workspace; nothing was done.');
  }
  const allow = policy.clusters[cluster]?.allowChannels;
  if (allow && !(caller.channel && allow.includes(caller.channel))) {
    throw new PermissionError(
      `Commands for \`${cluster}\` are accepted only in ${allow.map((c) => `<#${c}>`).join(', ')}` +
        (caller.channel?.startsWith('D') ? ', not in direct messages' : '') +
        '. Type the command there; nothing was done.',
    );
  }
  requireRole(policy, caller.user, role, what, cluster);
}

/** Parses the policy parameter once per value (a bad value too), naming the SSM parameter when it is bad. */
export function cachedPolicyParser(parameterName: string): (raw: string) => Policy {
  let last: { raw: string; policy?: Policy; error?: ConfigError } | undefined;
  return (raw) => {
    if (last?.raw !== raw) {
      try {
        last = { raw, policy: parsePolicy(raw) };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const what = err.message.replace(/\.\s*$/, '');
        last = { raw, error: new ConfigError(`${what} (SSM parameter ${parameterName}). Fix that parameter's JSON; the README's "Policy" section shows the schema.`, { cause: err }) };
      }
    }
    if (last.error) throw last.error;
    return last.policy!;
  };
}
