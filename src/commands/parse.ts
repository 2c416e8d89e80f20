import { UsageError } from '../errors.js';
import { code } from '../render/escape.js';
import { REGISTRY, type CommandSpec } from './registry.js';
import { didYouMean } from './suggest.js';

export { closest, didYouMean, levenshtein } from './suggest.js';

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
  return tokens.map(unwrapSlackLink).map(normalizeDashes);
}

/** Phones and Slack turn `--` into an em or en dash; read it as the user meant it. */
function normalizeDashes(token: string): string {
  return token.replace(/^[\u2013\u2014]-?(?=[a-z])/i, '--');
}

/** Slack may send a typed URL as <https://host:2376> or <https://host|label>. */
function unwrapSlackLink(token: string): string {
  const m = /^<([^|>]+)(\|[^>]*)?>$/.exec(token);
  return m ? m[1]! : token;
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
    // `ca` is a command and `ca rotate` another: anything else after `ca` is its arguments
    const single = REGISTRY.get(first);
    if (single) return { spec: single, rest: tokens.slice(1) };
    const hint = second !== undefined ? didYouMean(second, sub) : undefined;
    throw new UsageError(
      (second === undefined ? `${code(first)} needs a subcommand. ` : `Unknown ${code(`${first} ${second}`)}. `) +
        (hint ? `Did you mean \`/swarm ${first} ${hint}\`? ` : '') +
        `Type one of: ${sub.map((s) => `\`/swarm ${first} ${s}\``).join(', ')}.`,
    );
  }
  const spec = REGISTRY.get(first);
  if (spec) return { spec, rest: tokens.slice(1) };
  const names = [...new Set([...REGISTRY.keys()].map((n) => n.split(' ')[0]!))];
  const hint = didYouMean(first, names);
  throw new UsageError(
    `Unknown command ${code(first)}.` +
      (hint ? ` Did you mean \`/swarm ${hint}\`?` : '') +
      ' Type `/swarm help` to list the commands.',
  );
}

function usage(spec: CommandSpec): string {
  return `Usage: \`${spec.usage}\``;
}

export function parseCommand(text: string): ParsedCommand {
  text = text.trim();
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

  const flagTypes = spec.flags;

  const raw: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const [flagName = '', inlineValue] = token.slice(2).split(/=(.*)/s, 2);
    const type = Object.hasOwn(flagTypes, flagName) ? flagTypes[flagName] : undefined;
    if (!type) {
      const hint = didYouMean(flagName, Object.keys(flagTypes));
      throw new UsageError(
        `\`${spec.name}\` has no option ${code(`--${flagName}`)}.` + (hint ? ` Did you mean \`--${hint}\`?` : '') + ` ${usage(spec)}`,
      );
    }
    if (Object.hasOwn(raw, flagName)) throw new UsageError(`\`--${flagName}\` is given twice. ${usage(spec)}`);
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

  const required = spec.positionals.filter((p) => !p.def.schema.isOptional());
  if (positionals.length < required.length) {
    throw new UsageError(`\`${spec.name}\` needs ${required.map((p) => `<${p.def.label}>`).join(' ')}. ${usage(spec)}`);
  }
  // `help overlay create`: the last positional may take the rest of the line
  const last = spec.positionals.at(-1);
  if (last?.def.rest && positionals.length > spec.positionals.length) {
    positionals.splice(spec.positionals.length - 1, Infinity, positionals.slice(spec.positionals.length - 1).join(' '));
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).map((p) => code(p)).join(' ');
    throw new UsageError(`Unexpected ${extra} after \`${spec.name}\`. ${usage(spec)}`);
  }
  spec.positionals.forEach((p, idx) => {
    if (positionals[idx] !== undefined) raw[p.name] = positionals[idx];
  });

  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const pos = spec.positionals.find((p) => p.name === field);
    const label = pos ? `<${pos.def.label}>` : `--${field}`;
    // a rule across arguments names its flag itself
    const said = issue.message.startsWith(label) ? issue.message : `${label}: ${issue.message}`;
    throw new UsageError(`${said}. ${usage(spec)}`);
  }
  return { name: spec.name, spec, args: parsed.data as ParsedCommand['args'] };
}

/** The command, or undefined when the text does not parse (for deciding whether a failure is audited). */
export function tryParseCommand(text: string): ParsedCommand | undefined {
  try {
    return parseCommand(text);
  } catch {
    return undefined;
  }
}
