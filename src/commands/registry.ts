import { z } from 'zod';
import type { Role } from '../config/policy.js';
import { didYouMean } from './suggest.js';
import { cidr, dockerApiUrl, dockerName, ipAddress, nodeRef } from './validators.js';

/**
 * The one list of commands. Both the ingress (parse, authorize, acknowledge)
 * and the worker (run) read it; `help` and "did you mean" are built from it.
 * The worker's action table is keyed by these names and checked against this
 * list at start-up, so the ingress bundle carries no action code.
 */
export interface CommandSpec<S extends z.ZodTypeAny = z.ZodTypeAny> {
  name: string;
  summary: string;
  usage: string;
  /** names of the positional arguments, in order; a trailing `?` marks an optional one */
  positionals: string[];
  /** command-specific flags (besides --cluster, and --dry-run on changing commands) */
  flags: Record<string, 'boolean' | 'string'>;
  schema: S;
  role: Role;
  /** changes the swarm: takes --dry-run and is audited */
  mutating: boolean;
  /** a manager-level change: needs a second person's approval */
  needsApproval: boolean;
  /** a longer explanation for `help <command>` */
  details?: string;
  /** answered without talking to any swarm (no credentials are loaded) */
  offline?: boolean;
}

const common = { cluster: z.string().optional(), 'dry-run': z.boolean().optional() };

const define = <S extends z.ZodTypeAny>(spec: CommandSpec<S>): CommandSpec<S> => spec;

export const joinSchema = z.object({
  url: dockerApiUrl,
  'advertise-addr': ipAddress.optional(),
  'data-path-addr': ipAddress.optional(),
  ...common,
});
const nodeSchema = z.object({ node: nodeRef, ...common });

export const COMMANDS = [
  define({
    name: 'help',
    summary: 'list the commands, or explain one',
    usage: '/swarm help [command]',
    positionals: ['...topic?'],
    flags: {},
    schema: z.object({ topic: z.string().max(40).transform((t) => t.toLowerCase()).optional(), ...common }),
    role: 'viewer',
    mutating: false,
    needsApproval: false,
    offline: true,
  }),
  define({
    name: 'status',
    summary: 'health verdict, Raft quorum, managers, node counts, warnings',
    usage: '/swarm status [--cluster C]',
    positionals: [],
    flags: {},
    schema: z.object(common),
    role: 'viewer',
    mutating: false,
    needsApproval: false,
  }),
  define({
    name: 'nodes',
    summary: 'every node: hostname, role, status, availability, reachability, engine',
    usage: '/swarm nodes [--cluster C]',
    positionals: [],
    flags: {},
    schema: z.object(common),
    role: 'viewer',
    mutating: false,
    needsApproval: false,
  }),
  define({
    name: 'join worker',
    summary: 'join a new node as a worker (the bot joins it; no token is shown)',
    usage: '/swarm join worker <docker-api-url> [--advertise-addr IP] [--data-path-addr IP] [--dry-run] [--cluster C]',
    positionals: ['url'],
    flags: { 'advertise-addr': 'string', 'data-path-addr': 'string' },
    schema: joinSchema,
    role: 'operator',
    mutating: true,
    needsApproval: false,
    details: 'The node must run a Docker daemon reachable over TLS with the same CA as the managers, e.g. tcp://10.0.1.25:2376.',
  }),
  define({
    name: 'join manager',
    summary: 'join a new node as a manager (needs approval)',
    usage: '/swarm join manager <docker-api-url> [--advertise-addr IP] [--data-path-addr IP] [--dry-run] [--cluster C]',
    positionals: ['url'],
    flags: { 'advertise-addr': 'string', 'data-path-addr': 'string' },
    schema: joinSchema,
    role: 'operator',
    mutating: true,
    needsApproval: true,
  }),
  define({
    name: 'rotate',
    summary: 'rotate join tokens (worker, manager or both)',
    usage: '/swarm rotate worker|manager|both [--dry-run] [--cluster C]',
    positionals: ['which'],
    flags: {},
    schema: z.object({
      which: z.preprocess(
        (v) => (typeof v === 'string' ? v.toLowerCase() : v),
        z.enum(['worker', 'manager', 'both'], {
          errorMap: (_issue, ctx) => {
            const hint = typeof ctx.data === 'string' ? didYouMean(ctx.data, ['worker', 'manager', 'both']) : undefined;
            return { message: `${hint ? `did you mean \`${hint}\`? ` : ''}say which tokens: \`worker\`, \`manager\` or \`both\`` };
          },
        }),
      ),
      ...common,
    }),
    role: 'operator',
    mutating: true,
    needsApproval: false,
  }),
  define({
    name: 'overlay ls',
    summary: 'list swarm-scoped networks',
    usage: '/swarm overlay ls [--cluster C]',
    positionals: [],
    flags: {},
    schema: z.object(common),
    role: 'viewer',
    mutating: false,
    needsApproval: false,
  }),
  define({
    name: 'overlay create',
    summary: 'create an overlay network (attachable unless --no-attachable)',
    usage: '/swarm overlay create <name> [--encrypted] [--no-attachable] [--subnet CIDR] [--gateway IP] [--dry-run] [--cluster C]',
    positionals: ['name'],
    flags: { encrypted: 'boolean', 'no-attachable': 'boolean', subnet: 'string', gateway: 'string' },
    schema: z
      .object({
        name: dockerName,
        encrypted: z.boolean().optional(),
        'no-attachable': z.boolean().optional(),
        subnet: cidr.optional(),
        gateway: ipAddress.optional(),
        ...common,
      })
      .refine((a) => !a.gateway || a.subnet, {
        message: '--gateway needs --subnet too, e.g. --subnet 10.20.0.0/24 --gateway 10.20.0.1',
        path: ['gateway'],
      }),
    role: 'operator',
    mutating: true,
    needsApproval: false,
  }),
  define({
    name: 'overlay rm',
    summary: 'remove an overlay network nobody uses',
    usage: '/swarm overlay rm <name> [--dry-run] [--cluster C]',
    positionals: ['name'],
    flags: {},
    schema: z.object({ name: dockerName, ...common }),
    role: 'operator',
    mutating: true,
    needsApproval: false,
  }),
  define({
    name: 'overlay check',
    summary: 'prove every node can reach every other on the overlay',
    usage: '/swarm overlay check <name> [--dry-run] [--cluster C]',
    positionals: ['name'],
    // not a change to the swarm, but it starts a short-lived service: --dry-run says what it would run
    flags: { 'dry-run': 'boolean' },
    schema: z.object({ name: dockerName, ...common }),
    role: 'viewer',
    mutating: false,
    needsApproval: false,
  }),
  define({
    name: 'promote',
    summary: 'make a worker a manager (needs approval)',
    usage: '/swarm promote <node> [--dry-run] [--cluster C]',
    positionals: ['node'],
    flags: {},
    schema: nodeSchema,
    role: 'operator',
    mutating: true,
    needsApproval: true,
  }),
  define({
    name: 'demote',
    summary: 'make a manager a worker (needs approval)',
    usage: '/swarm demote <node> [--dry-run] [--cluster C]',
    positionals: ['node'],
    flags: {},
    schema: nodeSchema,
    role: 'operator',
    mutating: true,
    needsApproval: true,
  }),
  define({
    name: 'drain',
    summary: 'move tasks off a node (availability drain)',
    usage: '/swarm drain <node> [--dry-run] [--cluster C]',
    positionals: ['node'],
    flags: {},
    schema: nodeSchema,
    role: 'operator',
    mutating: true,
    needsApproval: false,
  }),
  define({
    name: 'activate',
    summary: 'let a node take tasks again (availability active)',
    usage: '/swarm activate <node> [--dry-run] [--cluster C]',
    positionals: ['node'],
    flags: {},
    schema: nodeSchema,
    role: 'operator',
    mutating: true,
    needsApproval: false,
  }),
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];

function indexByName(specs: readonly CommandSpec[]): Map<string, CommandSpec> {
  const byName = new Map<string, CommandSpec>();
  for (const spec of specs) {
    if (byName.has(spec.name)) throw new Error(`Command "${spec.name}" is registered twice`);
    byName.set(spec.name, spec);
  }
  return byName;
}

export const REGISTRY: ReadonlyMap<string, CommandSpec> = indexByName(COMMANDS);

export function getSpec(name: string): CommandSpec {
  const spec = REGISTRY.get(name);
  if (!spec) throw new Error(`No command "${name}"`);
  return spec;
}
