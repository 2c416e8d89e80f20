/**
 * `/swarm service logs <name>`: every task's lines merged in time order
 * (Docker streams them unordered), each prefixed by task slot and node,
 * secrets redacted; a long answer goes up as a file.
 */
import type { ArgsFor } from '../commands/registry.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { hhmm } from '../domain/time-format.js';
import { redactSecrets } from '../errors.js';
import type { LogLine, SwarmNode } from '../ports.js';
import { code } from '../render/escape.js';
import { resolveService } from '../shared/service-health.js';
import { resolveNode } from './resolve-node.js';
import type { ReadAction } from './types.js';

const DEFAULT_SINCE_MS = 10 * 60_000;
const DEFAULT_TAIL = 100;
const MAX_TAIL = 2_000;
/** what a message shows inline; beyond it the lines go up as a file */
const INLINE_CHARS = 2_500;
const INLINE_LINES = 40;
/** the log drivers Docker can read back */
const READABLE_DRIVERS = new Set(['json-file', 'journald', 'local']);

/** AWS keys besides what redactSecrets knows (join tokens, unlock keys, Slack tokens, private keys) */
const MORE_PATTERNS: Array<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, '$1-[redacted]'],
  [/(aws_secret_access_key|aws_session_token)(\s*[=:]\s*)\S+/gi, '$1$2[redacted]'],
  // the same as JSON (an SDK's credentials printed whole)
  [/("(?:SecretAccessKey|SessionToken|secretAccessKey|sessionToken|aws_secret_access_key|aws_session_token)"\s*:\s*")[^"]*"/g, '$1[redacted]"'],
  // a Slack incoming webhook is a credential in its path
  [/(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers))\/[A-Za-z0-9/_-]+/g, '$1/[redacted]'],
];

export function redactLogLine(text: string): string {
  let out = redactSecrets(text);
  for (const [rx, to] of MORE_PATTERNS) out = out.replace(rx, to);
  return out;
}

const BEGIN_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const END_KEY = /-----END [A-Z ]*PRIVATE KEY-----/;

/**
 * Each line redacted, in time order, a private key as a whole: its BEGIN
 * line, its body lines and its END line (a task prints one line a key line),
 * followed task by task so that other tasks' lines in between don't matter.
 */
export function redactLogLines(lines: LogLine[]): string[] {
  const inKey = new Set<string>();
  return lines.map((l) => {
    let text = l.text;
    if (inKey.has(l.taskId)) {
      const end = text.search(END_KEY);
      if (end < 0) return '[redacted key]';
      inKey.delete(l.taskId);
      text = `[redacted key]${text.slice(end).replace(END_KEY, '')}`;
    }
    const begin = text.search(BEGIN_KEY);
    if (begin >= 0 && !END_KEY.test(text.slice(begin))) {
      inKey.add(l.taskId);
      text = `${text.slice(0, begin)}[redacted key]`;
    }
    return redactLogLine(text);
  });
}

/** "10:00:00.123" from Docker's RFC 3339 nanosecond timestamp */
const clock = (at: string) => at.slice(11, 23);

export const serviceLogs: ReadAction<ArgsFor<'service logs'>> = {
  async run(ctx, args) {
    const svc = await resolveService(ctx.swarm.services, args.service, ctx.cluster);
    if (svc.logDriver && !READABLE_DRIVERS.has(svc.logDriver)) {
      return reply(`Logs of ${svc.name}: not readable through Docker`, 'warn', [
        { kind: 'text', text: `${code(svc.name)} logs with the ${code(svc.logDriver)} driver, which Docker can't read back (only json-file, journald and local). Read them where that driver sends them.` },
      ]);
    }
    const now = ctx.clock.now().getTime();
    const sinceMs = now - (args.since ?? DEFAULT_SINCE_MS);
    const tail = args.tail ?? DEFAULT_TAIL;
    // Docker's tail is per task, and a filter looks at what came back: filtered, ask for as much as a person may see
    const [{ lines, errors }, tasks, nodeList] = await Promise.all([
      ctx.swarm.services.logs(svc.id, { sinceMs, tail: args.grep || args.node ? MAX_TAIL : tail }),
      ctx.swarm.services.tasks({ serviceIds: [svc.id] }),
      ctx.swarm.nodes.list().catch(() => [] as SwarmNode[]),
    ]);
    const onlyNode = args.node ? resolveNode(nodeList, args.node) : undefined;
    const slotOf = new Map(tasks.map((t) => [t.id, t.slot]));
    const hostOf = new Map(nodeList.map((n) => [n.id, n.hostname]));
    const label = (l: LogLine) => {
      const slot = slotOf.get(l.taskId);
      return `${slot !== undefined ? `${svc.name}.${slot}` : svc.name}@${hostOf.get(l.nodeId) ?? (l.nodeId.slice(0, 12) || '?')}`;
    };
    // merged in time order and redacted as a whole first (a key spans lines); then the filters; then the newest `tail`
    const sorted = [...lines].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const redacted = redactLogLines(sorted);
    const kept = sorted
      .map((l, i) => ({ l, text: redacted[i]! }))
      .filter(({ l, text }) => (!onlyNode || l.nodeId === onlyNode.id) && (!args.grep || text.includes(args.grep)))
      .slice(-tail);
    const picked = kept.map((k) => k.l);
    const text = kept.map(({ l, text: t }) => `${clock(l.at)} ${label(l)} | ${t}`);
    const filters = [args.grep ? `containing ${code(args.grep)}` : '', onlyNode ? `on ${code(onlyNode.hostname)}` : ''].filter(Boolean).join(', ');
    const window = `since ${hhmm(sinceMs)}${filters ? `, ${filters}` : ''}`;
    const warnings: ReplyPart[] = errors.length ? [{ kind: 'list', title: 'Docker could not read every task\'s logs', tone: 'warn', items: errors.slice(0, 5).map((e) => code(redactLogLine(e).slice(0, 300))) }] : [];
    if (!text.length) {
      return reply(`Logs of ${svc.name}: no lines ${window}`, 'info', [...warnings, { kind: 'text', text: `No log lines ${window}. Type \`--since 1h\` to look further back.` }]);
    }
    const taskCount = new Set(picked.map((l) => l.taskId)).size;
    const context: ReplyPart = { kind: 'context', text: `${text.length} line${text.length === 1 ? '' : 's'} from ${taskCount} task${taskCount === 1 ? '' : 's'} ${window}, oldest first · the last ${tail} at most (\`--tail N\`, up to 2000)` };
    const joined = text.join('\n');
    if (joined.length <= INLINE_CHARS && text.length <= INLINE_LINES) {
      return reply(`Logs of ${svc.name} (${text.length} line${text.length === 1 ? '' : 's'})`, 'info', [...warnings, { kind: 'text', text: `\`\`\`${joined.replace(/```/g, "'''")}\`\`\`` }, context]);
    }
    const preview: string[] = [];
    for (let i = text.length - 1, size = 0; i >= 0 && preview.length < 15 && size + text[i]!.length < 1_500; size += text[i]!.length + 1, i--) preview.unshift(text[i]!);
    return {
      ...reply(`Logs of ${svc.name} (${text.length} lines, attached)`, 'info', [
        ...warnings,
        { kind: 'text', text: `The last ${preview.length}:\n\`\`\`${preview.join('\n').replace(/```/g, "'''")}\`\`\`` },
        context,
      ]),
      attachments: [{ filename: `${svc.name}-logs.txt`, title: `Logs of ${svc.name} ${window.replace(/`/g, '')}`, bytes: new TextEncoder().encode(`${joined}\n`) }],
    };
  },
};
