import { z } from 'zod';
import { didYouMean } from './suggest.js';
import { defineCommand, flag, optionalPositional, positional, toggle, type ArgsOf, type Command } from './spec.js';
import { cidr, dockerApiUrl, dockerName, ipAddress, nodeRef } from './validators.js';

/**
 * The one list of commands. The ingress (parse, authorize, acknowledge), the
 * worker and the local runner (run) read it; `help`, usage lines and "did you
 * mean" are built from it. The action table (src/actions/index.ts) is typed
 * from these declarations and kept out of the ingress bundle.
 */

/** A closed word list that answers a typo with the nearest word. */
const oneOf = <const T extends readonly [string, ...string[]]>(words: T, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toLowerCase() : v),
    z.enum(words, {
      errorMap: (_issue, ctx) => {
        const hint = typeof ctx.data === 'string' ? didYouMean(ctx.data, [...words]) : undefined;
        const choices = `${words.map((w) => `\`${w}\``).join(', ')}`;
        return { message: hint ? `did you mean \`${hint}\`? ${what.charAt(0).toUpperCase()}${what.slice(1)}: ${choices}` : `${what}: ${choices}` };
      },
    }),
  );

const joinArgs = {
  url: positional(dockerApiUrl, 'docker-api-url', 'the new node\'s Docker API over TLS, e.g. tcp://10.0.1.25:2376'),
  'advertise-addr': flag(ipAddress, 'IP', 'the address other nodes reach it at (default: the URL\'s host)'),
  'data-path-addr': flag(ipAddress, 'IP', 'the address for overlay traffic (default: the advertise address)'),
};
const nodeArgs = { node: positional(nodeRef, 'node', 'a hostname or a unique node ID prefix (4+ characters)') };

/** `24h`, `7d`, `30m` → milliseconds */
const duration = z.string().transform((raw, ctx) => {
  const m = /^(\d{1,4})([mhd])$/i.exec(raw.trim());
  if (!m || Number(m[1]) === 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `\`${raw}\` is not a duration. Type minutes, hours or days, e.g. 30m, 24h or 7d` });
    return z.NEVER;
  }
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]!.toLowerCase() as 'm' | 'h' | 'd'];
});

/** `@U123`, `<@U123>` or `<@U123|name>` as Slack sends a mention, or a bare user ID */
const slackUser = z.string().transform((raw, ctx) => {
  const m = /^(?:<@|@)?([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>?$/.exec(raw.trim());
  if (!m) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'type a person as a mention, e.g. @alice, or a Slack user ID such as U012ABC' });
    return z.NEVER;
  }
  return m[1]!;
});

export const COMMANDS = [
  defineCommand({
    name: 'help',
    summary: 'list the commands, or explain one',
    args: { topic: optionalPositional(z.string().max(40).transform((t) => t.toLowerCase()), 'command', { rest: true }) },
    role: 'viewer',
    kind: 'read',
    offline: true,
  }),
  defineCommand({
    name: 'status',
    summary: 'health verdict, Raft quorum, managers, node counts, warnings',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'nodes',
    summary: 'every node: hostname, role, status, availability, reachability, engine',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'join worker',
    summary: 'join a new node as a worker (the bot joins it; no token is shown)',
    args: joinArgs,
    role: 'operator',
    kind: 'change',
    details: 'The node must run a Docker daemon reachable over TLS with the same CA as the managers, e.g. tcp://10.0.1.25:2376.',
  }),
  defineCommand({
    name: 'join manager',
    summary: 'join a new node as a manager (needs approval)',
    args: joinArgs,
    role: 'operator',
    kind: 'approval',
    details: 'The approval is bound to the node the approver saw (its engine ID and TLS certificate); a different daemon at that address is refused.',
  }),
  defineCommand({
    name: 'rotate',
    summary: 'rotate join tokens (worker, manager or both)',
    args: { which: positional(oneOf(['worker', 'manager', 'both'] as const, 'say which tokens'), 'worker|manager|both') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay ls',
    summary: 'list swarm-scoped networks',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'overlay create',
    summary: 'create an overlay network (attachable unless --no-attachable)',
    args: {
      name: positional(dockerName, 'name'),
      encrypted: toggle('IPsec between hosts (not on Windows nodes)'),
      'no-attachable': toggle('standalone containers may not join it'),
      subnet: flag(cidr, 'CIDR', 'e.g. 10.20.0.0/24; must overlap no existing network'),
      gateway: flag(ipAddress, 'IP', 'inside --subnet'),
    },
    check: (a) => (a.gateway && !a.subnet ? { arg: 'gateway', message: '--gateway needs --subnet too, e.g. --subnet 10.20.0.0/24 --gateway 10.20.0.1' } : undefined),
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay rm',
    summary: 'remove an overlay network nobody uses',
    args: { name: positional(dockerName, 'name') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay check',
    summary: 'prove every node can reach every other on the overlay',
    args: { name: positional(dockerName, 'name') },
    // it runs containers on every node: an operator's call, audited like a change
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'promote',
    summary: 'make a worker a manager (needs approval)',
    args: nodeArgs,
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'demote',
    summary: 'make a manager a worker (needs approval)',
    args: nodeArgs,
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'drain',
    summary: 'move tasks off a node (availability drain)',
    args: nodeArgs,
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'activate',
    summary: 'let a node take tasks again (availability active)',
    args: nodeArgs,
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'audit',
    summary: 'the latest audited events: who changed what, when',
    args: {
      user: flag(slackUser, '@U', 'only this person\'s requests and decisions'),
      since: flag(duration, '24h|7d', 'how far back (default 24h, at most 90d)'),
      limit: flag(z.coerce.number({ invalid_type_error: 'type a number' }).int().min(1, 'at least 1').max(100, 'at most 100'), 'N', 'how many (default 20)'),
    },
    check: (a) => (a.since !== undefined && a.since > 90 * 86_400_000 ? { arg: 'since', message: 'at most 90d' } : undefined),
    role: 'viewer',
    kind: 'read',
  }),
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];
type CommandOf<N extends CommandName> = Extract<(typeof COMMANDS)[number], { name: N }>;
/** The parsed arguments of command N, as its action receives them. */
export type ArgsFor<N extends CommandName> = CommandOf<N> extends Command<infer A> ? ArgsOf<A> : never;
/** Commands by kind, for typing the action table. */
export type NamesOfKind<K extends Command['kind']> = Extract<(typeof COMMANDS)[number], { kind: K }>['name'];

function indexByName(specs: readonly Command[]): Map<string, Command> {
  const byName = new Map<string, Command>();
  for (const spec of specs) {
    if (byName.has(spec.name)) throw new Error(`Command "${spec.name}" is registered twice`);
    byName.set(spec.name, spec);
  }
  return byName;
}

export const REGISTRY: ReadonlyMap<string, Command> = indexByName(COMMANDS as unknown as Command[]);

export function getSpec(name: string): Command {
  const spec = REGISTRY.get(name);
  if (!spec) throw new Error(`No command "${name}"`);
  return spec;
}

export type { Command as CommandSpec };
