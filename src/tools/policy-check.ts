/**
 * `npm run policy:check -- policy.json`: the policy as the bot will read it
 * (the same zod schema), every problem as a plain sentence — where it is,
 * what is wrong, what to type instead — and warnings for settings that are
 * valid but risky. Exit code 1 when the policy has errors, 2 when the file
 * can't be read.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pc from 'picocolors';
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import { REGISTRY } from '../commands/registry.js';
import { didYouMean } from '../commands/suggest.js';
import { knownClusters, PolicySchema, type Policy } from '../config/policy.js';

export interface PolicyReport {
  errors: string[];
  warnings: string[];
  /** the parsed policy, when it has no errors */
  policy?: Policy;
}

type Path = Array<string | number>;

/** `clusters.prod.allowChannels[0]`, as a person finds it in the file. */
export const pathText = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(p) ? `${i ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`)).join('') || 'the policy';

/** What to type, by where it goes: the README's example policy, piece by piece. */
const EXAMPLES: Array<[RegExp, string]> = [
  [/^defaultCluster$/, '"prod"'],
  [/^auditChannel$/, '"C0AUDIT" (a channel ID: the channel\'s details in Slack show it at the bottom)'],
  [/^channels$/, '{ "C0PRODOPS": "prod" }'],
  [/^channels\.[^.]+$/, '"prod" (the name of a cluster)'],
  [/^roles$/, '{ "viewer": ["U0VIEW"], "operator": ["U0OPS"], "approver": ["U0APPROVE", "U0LEAD"] }'],
  [/roles\.(viewer|operator|approver)$/, '["U0OPS", "U0LEAD"] (Slack member IDs, or "*" for everyone)'],
  [/roles\.(viewer|operator|approver)\[\d+\]$/, '"U0OPS" (a member ID: in Slack, a profile\'s ⋮ menu, "Copy member ID")'],
  [/^approvalTtlMinutes$/, '15'],
  [/^probeImage$/, '"alpine:3"'],
  [/^rotateAfterJoin$/, 'true'],
  [/^clusters$/, '{ "prod": { "rotate": ["worker"], "allowChannels": ["C0PRODOPS"] } }'],
  [/^clusters\.[^.]+$/, '{ "rotate": ["worker"], "allowChannels": ["C0PRODOPS"] }'],
  [/\.rotate$/, '["worker", "manager"]'],
  [/\.rotate\[\d+\]$/, '"worker" or "manager"'],
  [/\.allowChannels$/, '["C0PRODOPS"]'],
  [/\.allowChannels\[\d+\]$/, '"C0PRODOPS" (a channel ID, not its #name)'],
  [/\.roles$/, '{ "approver": ["U0APPROVE", "U0LEAD"] }'],
  [/\.joinCidrs$/, '["10.0.0.0/16"]'],
  [/\.joinCidrs\[\d+\]$/, '"10.0.0.0/16"'],
  [/\.watch$/, '{ "channel": "C0ALERTS", "graceMinutes": 3 }'],
  [/\.watch\.channel$/, '"C0ALERTS"'],
  [/\.watch\.graceMinutes$/, '3'],
  [/^teamId$/, '"T0WORKSPACE" (your workspace\'s ID)'],
  [/^auditRetentionDays$/, '400'],
];

const exampleFor = (path: Path): string | undefined => EXAMPLES.find(([re]) => re.test(pathText(path)))?.[1];
const instead = (path: Path, fallback = ''): string => {
  const e = exampleFor(path);
  return e ? ` Type ${e} instead.` : fallback;
};

const article = (type: string): string => (type === 'undefined' || type === 'null' ? type : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type === 'float' ? 'fractional number' : type}`);

/** What was typed there, short enough for a sentence. */
function echo(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

/** The schema found at `path`, through defaults, optionals, records and arrays: to name the keys allowed there. */
function schemaAt(schema: ZodTypeAny, path: Path): ZodTypeAny | undefined {
  const unwrap = (s: ZodTypeAny): ZodTypeAny => {
    for (;;) {
      if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s._def.innerType;
      else if (s instanceof z.ZodEffects) s = s._def.schema;
      else return s;
    }
  };
  let s: ZodTypeAny | undefined = unwrap(schema);
  for (const seg of path) {
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, ZodTypeAny>)[String(seg)];
    else if (s instanceof z.ZodRecord) s = s._def.valueType;
    else if (s instanceof z.ZodArray) s = s._def.type;
    else return undefined;
    if (!s) return undefined;
    s = unwrap(s);
  }
  return s;
}

const untick = (s: string) => s.replace(/`/g, '');

/** One zod issue as a sentence: the path, what is wrong, what to type instead. */
export function describeIssue(issue: ZodIssue, input: unknown): string {
  const where = pathText(issue.path);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const key = issue.path.at(-1);
      if (issue.received === 'undefined') {
        const e = exampleFor(issue.path);
        return `${where} is missing. Add it${e && typeof key === 'string' ? `, e.g. "${key}": ${e}` : ''}.`;
      }
      const expected = issue.expected === 'integer' ? 'a whole number' : article(issue.expected);
      // "15" for 15: the most common slip, and the fix is the value itself
      const unquote = issue.expected === 'number' && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value));
      if (unquote) return `${where} is a string (${echo(value)}), but it must be a number: type ${Number(value)}, without the quotes.`;
      return `${where} is ${article(issue.received)} (${echo(value)}), but it must be ${expected}.${instead(issue.path)}`;
    }
    case 'unrecognized_keys': {
      const known = Object.keys((schemaAt(PolicySchema, issue.path) as z.AnyZodObject | undefined)?.shape ?? {});
      return issue.keys
        .map((k) => {
          const hint = didYouMean(k, known);
          return `${where === 'the policy' ? 'The policy' : where} has a key "${k}" that the policy doesn't know${hint ? `: did you mean "${hint}"?` : '.'} Keys allowed there: ${known.map((x) => `"${x}"`).join(', ')}.`;
        })
        .join(' ');
    }
    case 'invalid_enum_value': {
      const hint = typeof value === 'string' ? didYouMean(value, issue.options.map(String)) : undefined;
      return `${where} is ${echo(value)}: type one of ${issue.options.map((o) => `"${o}"`).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}.`;
    }
    case 'invalid_string': {
      const rule = /^an? /.test(issue.message) ? `it must be ${issue.message}` : issue.message;
      return `${where} is ${echo(value)}: ${untick(rule)}.${instead(issue.path)}`;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.type === 'string' && issue.code === 'too_small' && Number(bound) <= 1) return `${where} is empty.${instead(issue.path, ' Give it a value.')}`;
      const limit = issue.code === 'too_small' ? 'at least' : 'at most';
      const what = issue.type === 'array' ? ` ${Number(bound) === 1 ? 'entry' : 'entries'}` : issue.type === 'string' ? ' characters' : '';
      return `${where} is ${echo(value)}; it must be ${limit} ${String(bound)}${what}.${instead(issue.path)}`;
    }
    // invalid_union, invalid_literal, custom and the rest
    default:
      return `${where}: ${untick(issue.message)}${/[.!?]$/.test(issue.message) ? '' : '.'}${issue.code === 'custom' ? '' : instead(issue.path)}`;
  }
}

/** Where JSON.parse stopped, as a line and column (Node gives a character position). */
function jsonProblem(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  const why = err.message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  if (!m) return `The file is not valid JSON: ${why}.`;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  const prev = before.trimEnd().at(-1);
  const hint =
    prev === ',' && /[}\]]/.test(text[pos] ?? '')
      ? ' There is a comma before a closing bracket: JSON allows none there, remove it.'
      : text[pos] === "'"
        ? ' JSON strings take double quotes ("…"), not single ones.'
        : ' Look for a missing comma between two entries, a trailing comma, or a key without double quotes.';
  return `The file is not valid JSON at line ${line}, column ${column}: ${why}.${hint}`;
}

const isPerson = (u: string) => u !== '*';

/** Valid but risky: what the team should know before deploying it. */
export function policyWarnings(policy: Policy): string[] {
  const warnings: string[] = [];
  const lists: Array<{ path: string; roles: Partial<Policy['roles']>; clusters: string[] }> = [{ path: 'roles', roles: policy.roles, clusters: [] }];
  for (const cluster of knownClusters(policy)) {
    const own = policy.clusters[cluster]?.roles;
    if (own) lists.push({ path: `clusters.${cluster}.roles`, roles: own, clusters: [cluster] });
    if (!own?.approver) lists[0]!.clusters.push(cluster);
  }
  for (const { path, roles, clusters } of lists) {
    const scope = path === 'roles' ? '' : ` for ${clusters[0]}`;
    if (roles.operator?.includes('*')) {
      warnings.push(`${path}.operator holds "*": everyone in the workspace can join nodes, rotate join tokens, create and remove networks and drain nodes${scope}. List the operators' member IDs instead.`);
    }
    if (roles.approver?.includes('*')) {
      warnings.push(`${path}.approver holds "*": anyone can approve manager-level changes${scope} (never their own), so the two-person rule only means "any two people". List the approvers' member IDs instead.`);
    }
    const approvers = roles.approver?.filter(isPerson);
    if (approvers && !roles.approver?.includes('*') && clusters.length) {
      const on = clusters.join(', ');
      if (approvers.length === 1) {
        warnings.push(`${path}.approver names one person (${approvers[0]}) for ${on}: while they are away nothing that needs approval can happen, and their own requests can never be approved. Add a second approver.`);
      } else if (!approvers.length) {
        warnings.push(`${path}.approver is empty for ${on}: join manager, promote, demote and the other changes that need approval can never happen there. Add at least two approvers.`);
      }
    }
  }
  for (const cluster of knownClusters(policy)) {
    if (!policy.clusters[cluster]?.allowChannels) {
      warnings.push(`Cluster ${cluster} has no allowChannels: its commands are accepted in any channel and in direct messages, where the team doesn't see them. Add "allowChannels": ["C0PRODOPS"] under clusters.${cluster}.`);
    }
  }
  for (const [channel, cluster] of Object.entries(policy.channels)) {
    const allow = policy.clusters[cluster]?.allowChannels;
    if (allow && !allow.includes(channel)) {
      warnings.push(`channels maps ${channel} to ${cluster}, but clusters.${cluster}.allowChannels does not list ${channel}: commands typed there for ${cluster} are refused. Add ${channel} to allowChannels, or map the channel to another cluster.`);
    }
  }
  if (!policy.rotateAfterJoin) {
    warnings.push(
      'rotateAfterJoin is false: a join token sent to a target that turns out not to be the node you meant (or a daemon that keeps what it is sent) keeps working until someone rotates it. Leave it true (the default), or rotate the join tokens on a schedule ("rotate" under clusters).',
    );
  }
  if (!policy.teamId) {
    warnings.push(
      'teamId is not set: requests signed for this app from another Slack workspace (an org-wide or distributed install) are not refused. Add "teamId": "T0…", your workspace\'s ID (in Slack: the workspace menu, or the T… in a workspace URL).',
    );
  }
  if (!/^[CG][A-Z0-9]{2,}$/.test(policy.auditChannel)) {
    warnings.push(`auditChannel is "${policy.auditChannel}", which does not look like a channel ID: type the ID (e.g. "C0AUDIT"), not the #name; the channel's details in Slack show it.`);
  }
  return warnings;
}

/** The policy's text, checked as the bot would parse it. */
export function checkPolicyText(text: string): PolicyReport {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return { errors: [jsonProblem(text, err as Error)], warnings: [] };
  }
  const parsed = PolicySchema.safeParse(input);
  if (!parsed.success) return { errors: parsed.error.issues.map((i) => describeIssue(i, input)), warnings: [] };
  const errors = approveErrors(parsed.data);
  return { errors, warnings: policyWarnings(parsed.data), ...(errors.length ? {} : { policy: parsed.data }) };
}

/** A cluster's `approve` names changing commands of the registry, and nothing else. */
function approveErrors(policy: Policy): string[] {
  const changing = [...REGISTRY.values()].filter((c) => c.mutating).map((c) => c.name);
  return Object.entries(policy.clusters).flatMap(([cluster, c]) =>
    c.approve
      .map((name, i) => ({ name, i }))
      .filter(({ name }) => !changing.includes(name))
      .map(({ name, i }) => {
        const near = didYouMean(name, changing);
        return `clusters.${cluster}.approve[${i}] is "${name}", which is not a changing command${near ? ` (did you mean "${near}"?)` : ''}. Name commands such as "service update", "service scale" or "stack rollback".`;
      }),
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The report as the terminal shows it. */
export function formatReport(file: string, r: PolicyReport, c = pc): string {
  const head = r.errors.length
    ? c.red(`${file}: ${plural(r.errors.length, 'error')}${r.warnings.length ? `, ${plural(r.warnings.length, 'warning')}` : ''}; the bot would refuse this policy.`)
    : c.green(`${file} is a valid policy${r.warnings.length ? `, with ${plural(r.warnings.length, 'warning')}` : ''}.`);
  return [head, ...r.errors.map((e) => `${c.red('✖')} ${e}`), ...r.warnings.map((w) => `${c.yellow('▲')} ${w}`)].join('\n') + '\n';
}

export function main(argv: string[]): number {
  const file = argv.find((a) => !a.startsWith('-'));
  if (!file) {
    process.stderr.write('Usage: npm run policy:check -- path/to/policy.json\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`${file} can't be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).\n`);
    return 2;
  }
  const report = checkPolicyText(text);
  process.stdout.write(formatReport(file, report));
  return report.errors.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
