import { UsageError } from '../errors.js';
import { REGISTRY, type CommandSpec } from './registry.js';

export const MAX_INPUT_LENGTH = 1000;

export interface ParsedCommand {
  name: string;
  spec: CommandSpec;
  /** the schema's output: positionals and flags by name, validated */
  args: Record<string, unknown> & { cluster?: string; 'dry-run'?: boolean };
}

/** Splits on white space, honouring "double", 'single' and Slack's “curly” quotes. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|“([^”]*)”|‘([^’]*)’|(\S+)/g;
  for (const m of text.matchAll(re)) {
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '');
  }
  return tokens.map(unwrapSlackLink);
}

/** Slack may send a typed URL as <https://host:2376> or <https://host|label>. */
function unwrapSlackLink(token: string): string {
  const m = /^<([^|>]+)(\|[^>]*)?>$/.exec(token);
  return m ? m[1]! : token;
}

export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = c.startsWith(input) && input.length >= 2 ? 0 : levenshtein(input, c);
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.c.length / 3)) ? best.c : undefined;
}

const groups = (): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const name of REGISTRY.keys()) {
    const [head, sub] = name.split(' ');
    if (sub) m.set(head!, [...(m.get(head!) ?? []), sub]);
  }
  return m;
};

function findSpec(tokens: string[]): { spec: CommandSpec; rest: string[] } {
  const [first = '', second] = tokens.map((t) => t.toLowerCase());
  const sub = groups().get(first);
  if (sub) {
    const spec = second !== undefined ? REGISTRY.get(`${first} ${second}`) : undefined;
    if (spec) return { spec, rest: tokens.slice(2) };
    const hint = second !== undefined ? didYouMean(second, sub) : undefined;
    throw new UsageError(
      (second === undefined ? `\`${first}\` needs a subcommand. ` : `Unknown \`${first} ${second}\`. `) +
        (hint ? `Did you mean \`/swarm ${first} ${hint}\`? ` : '') +
        `Type one of: ${sub.map((s) => `\`/swarm ${first} ${s}\``).join(', ')}.`,
    );
  }
  const spec = REGISTRY.get(first);
  if (spec) return { spec, rest: tokens.slice(1) };
  const names = [...new Set([...REGISTRY.keys()].map((n) => n.split(' ')[0]!))];
  const hint = didYouMean(first, names);
  throw new UsageError(
    `Unknown command \`${first}\`.` +
      (hint ? ` Did you mean \`/swarm ${hint}\`?` : '') +
      ' Type `/swarm help` to list the commands.',
  );
}

function usage(spec: CommandSpec): string {
  return `Usage: \`${spec.usage}\``;
}

export function parseCommand(text: string): ParsedCommand {
  if (text.length > MAX_INPUT_LENGTH) {
    throw new UsageError(`That command is ${text.length} characters long; the limit is ${MAX_INPUT_LENGTH}. Type \`/swarm help\` for the commands.`);
  }
  if (/SWMTKN-/i.test(text)) {
    // never echoed: the message must not carry the token on
    throw new UsageError(
      'That command contains what looks like a swarm join token. Tokens never go through Slack: swarm-ops reads them itself. ' +
        'Treat this one as leaked and run `/swarm rotate both`.',
    );
  }
  const tokens = tokenize(text.trim());
  if (tokens.length === 0) return parseCommand('help');
  const { spec, rest } = findSpec(tokens);

  const flagTypes: Record<string, 'boolean' | 'string'> = { ...spec.flags, cluster: 'string' };
  if (spec.mutating) flagTypes['dry-run'] = 'boolean';

  const raw: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const [flagName = '', inlineValue] = token.slice(2).split(/=(.*)/s, 2);
    const type = flagTypes[flagName];
    if (!type) {
      const hint = didYouMean(flagName, Object.keys(flagTypes));
      throw new UsageError(
        `\`${spec.name}\` has no option \`--${flagName}\`.` + (hint ? ` Did you mean \`--${hint}\`?` : '') + ` ${usage(spec)}`,
      );
    }
    if (flagName in raw) throw new UsageError(`\`--${flagName}\` is given twice. ${usage(spec)}`);
    if (type === 'boolean') {
      if (inlineValue !== undefined) throw new UsageError(`\`--${flagName}\` takes no value. ${usage(spec)}`);
      raw[flagName] = true;
    } else {
      const value = inlineValue ?? rest[++i];
      if (value === undefined || value === '' || (inlineValue === undefined && value.startsWith('--'))) {
        throw new UsageError(`\`--${flagName}\` needs a value. ${usage(spec)}`);
      }
      raw[flagName] = value;
    }
  }

  const required = spec.positionals.filter((p) => !p.endsWith('?'));
  if (positionals.length < required.length) {
    throw new UsageError(`\`${spec.name}\` needs ${required.map((p) => `<${p}>`).join(' ')}. ${usage(spec)}`);
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).map((p) => `\`${p}\``).join(' ');
    throw new UsageError(`Unexpected ${extra} after \`${spec.name}\`. ${usage(spec)}`);
  }
  spec.positionals.forEach((p, idx) => {
    if (positionals[idx] !== undefined) raw[p.replace(/\?$/, '')] = positionals[idx];
  });

  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const label = spec.positionals.some((p) => p.replace(/\?$/, '') === field) ? `<${field}>` : `--${field}`;
    throw new UsageError(`${label}: ${issue.message}. ${usage(spec)}`);
  }
  return { name: spec.name, spec, args: parsed.data as ParsedCommand['args'] };
}
