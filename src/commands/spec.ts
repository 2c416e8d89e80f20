import { z } from 'zod';
import type { Role } from '../config/policy.js';

/**
 * How a command is declared: each argument once, with its zod type. The
 * parser's flag table, the usage line, `help` and the action's argument type
 * are all derived from this, so they cannot drift apart.
 */
export interface ArgDef<S extends z.ZodTypeAny = z.ZodTypeAny> {
  kind: 'positional' | 'flag' | 'switch';
  schema: S;
  /** what the usage line shows: `<docker-api-url>`, `--subnet CIDR` */
  label: string;
  /** a positional that takes the rest of the line (`help overlay create`) */
  rest?: boolean;
  help?: string;
}

/** A required positional: `<label>`. */
export const positional = <S extends z.ZodTypeAny>(schema: S, label: string, help?: string): ArgDef<S> => ({ kind: 'positional', schema, label, ...(help ? { help } : {}) });

/** A required positional that takes every remaining word (`label <node> az=a tier=db`). */
export const restPositional = <S extends z.ZodTypeAny>(schema: S, label: string, help?: string): ArgDef<S> => ({ kind: 'positional', schema, label, rest: true, ...(help ? { help } : {}) });

/** An optional positional; `rest` takes every remaining word. */
export const optionalPositional = <S extends z.ZodTypeAny>(schema: S, label: string, opts: { rest?: boolean } = {}): ArgDef<z.ZodOptional<S>> => ({
  kind: 'positional',
  schema: schema.optional(),
  label,
  ...(opts.rest ? { rest: true } : {}),
});

/** `--name VALUE`, always optional. */
export const flag = <S extends z.ZodTypeAny>(schema: S, valueLabel: string, help?: string): ArgDef<z.ZodOptional<S>> => ({
  kind: 'flag',
  schema: schema.optional(),
  label: valueLabel,
  ...(help ? { help } : {}),
});

/** `--name`, a yes/no switch. */
export const toggle = (help?: string): ArgDef<z.ZodOptional<z.ZodBoolean>> => ({ kind: 'switch', schema: z.boolean().optional(), label: '', ...(help ? { help } : {}) });

export type ArgDefs = Record<string, ArgDef>;

/**
 * read: answers, changes nothing. change: plans, then applies (takes
 * --dry-run, is audited). approval: a change that a second person must
 * approve before it is applied.
 */
export type CommandKind = 'read' | 'change' | 'approval';

/** Options every command takes besides its own. */
export interface CommonArgs {
  cluster?: string;
  'dry-run'?: boolean;
}

export type ArgsOf<A extends ArgDefs> = { [K in keyof A]: z.output<A[K]['schema']> } & CommonArgs;

export interface CommandSpec<A extends ArgDefs = ArgDefs> {
  name: string;
  summary: string;
  args: A;
  role: Role;
  kind: CommandKind;
  /** a longer explanation for `help <command>` */
  details?: string;
  /** answered without talking to any swarm (no credentials are loaded) */
  offline?: boolean;
  /** a rule across arguments: the message when broken, naming the flag to fix */
  check?: (args: ArgsOf<A>) => { arg: string; message: string } | undefined;
  /** read commands that still take --dry-run (they start something short-lived) */
  dryRun?: boolean;
  /** a read that is audited all the same (reading a service's logs) */
  audited?: boolean;
}

/** The derived parts of a command: what the parser, help and the worker read. */
export interface Command<A extends ArgDefs = ArgDefs> extends CommandSpec<A> {
  schema: z.ZodType<ArgsOf<A>>;
  usage: string;
  positionals: Array<{ name: string; def: ArgDef }>;
  /** flag name → boolean switch or valued flag; --cluster and (for changes) --dry-run included */
  flags: Record<string, 'boolean' | 'string'>;
  mutating: boolean;
  needsApproval: boolean;
}

const CLUSTER = z.string().max(64);

export function defineCommand<const N extends string, const K extends CommandKind, A extends ArgDefs>(
  spec: CommandSpec<A> & { name: N; kind: K },
): Command<A> & { name: N; kind: K } {
  const mutating = spec.kind !== 'read';
  const takesDryRun = mutating || Boolean(spec.dryRun);
  const entries = Object.entries(spec.args);
  const positionals = entries.filter(([, d]) => d.kind === 'positional').map(([name, def]) => ({ name, def }));
  const flags: Record<string, 'boolean' | 'string'> = {};
  for (const [name, d] of entries) if (d.kind !== 'positional') flags[name] = d.kind === 'switch' ? 'boolean' : 'string';
  flags['cluster'] = 'string';
  if (takesDryRun) flags['dry-run'] = 'boolean';

  const shape: Record<string, z.ZodTypeAny> = { cluster: CLUSTER.optional(), 'dry-run': z.boolean().optional() };
  for (const [name, d] of entries) shape[name] = d.schema;
  let schema: z.ZodTypeAny = z.object(shape);
  if (spec.check) {
    const check = spec.check;
    schema = schema.superRefine((a, ctx) => {
      const broken = check(a as ArgsOf<A>);
      if (broken) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [broken.arg], message: broken.message });
    });
  }

  const usage = [
    `/swarm ${spec.name}`,
    ...positionals.map(({ def }) => (def.schema.isOptional() ? `[${def.label}]` : `<${def.label}>`)),
    ...entries.filter(([, d]) => d.kind !== 'positional').map(([name, d]) => `[--${name}${d.kind === 'flag' ? ` ${d.label}` : ''}]`),
    ...(takesDryRun ? ['[--dry-run]'] : []),
    ...(spec.offline ? [] : ['[--cluster C]']),
  ].join(' ');

  return {
    ...spec,
    schema: schema as z.ZodType<ArgsOf<A>>,
    usage,
    positionals,
    flags,
    mutating,
    needsApproval: spec.kind === 'approval',
  };
}
