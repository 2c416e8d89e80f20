import { REGISTRY, type CommandSpec } from '../commands/registry.js';
import type { ReplyPart } from '../domain/reply.js';
import { didYouMean } from '../commands/parse.js';
import { UsageError } from '../errors.js';
import { reply } from '../domain/reply.js';
import type { ArgsFor } from '../commands/registry.js';
import type { ReadAction } from './types.js';

/** Built from the registry, so it can't drift from what the parser accepts. */
export const help: ReadAction<ArgsFor<'help'>> = { run: async (_ctx, { topic }) => {
  if (topic) {
    const commands = [...REGISTRY.values()];
    const matches = commands.filter((c) => c.name === topic || c.name.split(' ')[0] === topic);
    if (!matches.length) {
      const hint = didYouMean(topic, [...REGISTRY.keys()]);
      throw new UsageError(`No command \`${topic}\`.${hint ? ` Did you mean \`/swarm help ${hint.split(' ')[0]}\`?` : ''} Type \`/swarm help\` for the list.`);
    }
    return reply(
      `/swarm ${topic}`,
      'info',
      matches.flatMap((c) => [
        { kind: 'text' as const, text: `\`${c.usage}\`\n${capitalize(c.summary)}.${c.details ? ` ${c.details}` : ''}` },
        ...argHelp(c),
        {
          kind: 'context' as const,
          text: `Needs the ${c.role} role${c.needsApproval ? ' and an approver\'s approval' : ''}.${c.mutating ? ' Add --dry-run to see what it would do.' : ''}`,
        },
      ]),
      'ephemeral',
    );
  }
  return reply(
    'swarm-ops commands',
    'info',
    [
      { kind: 'table', noun: 'commands', columns: ['COMMAND', 'WHAT IT DOES'], rows: [...REGISTRY.values()].map((c) => [c.name, c.summary]) },
      { kind: 'context', text: 'Type `/swarm help <command>` for its options. `--cluster C` picks a cluster; changing commands take `--dry-run`.' },
    ],
    'ephemeral',
  );
} };

/** One line per argument that says more than its usage label. */
function argHelp(c: CommandSpec): ReplyPart[] {
  const items = Object.entries(c.args)
    .filter(([, d]) => d.help)
    .map(([name, d]) => `${d.kind === 'positional' ? `<${d.label}>` : `--${name}`}: ${d.help}`);
  return items.length ? [{ kind: 'list', title: 'Options', items }] : [];
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
