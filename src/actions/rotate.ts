import type { TokenKind } from '../config/policy.js';
import { reply } from '../domain/reply.js';
import type { Action } from './types.js';

const kindsOf = (which: 'worker' | 'manager' | 'both'): TokenKind[] => (which === 'both' ? ['worker', 'manager'] : [which]);
const tokens = (kinds: TokenKind[]) => `${kinds.join(' and ')} join token${kinds.length > 1 ? 's' : ''}`;

export const rotate: Action<{ which: 'worker' | 'manager' | 'both' }> = async (ctx, { which }) => {
  const kinds = kindsOf(which);
  // a rotation needs a leader; a dry run says so just the same
  await ctx.swarm.listNodes();
  if (ctx.dryRun) {
    return reply(`Dry run: would rotate the ${tokens(kinds)} of ${ctx.cluster}`, 'info', [
      {
        kind: 'text',
        text:
          `\`/swarm rotate ${which}\` would ask a manager of \`${ctx.cluster}\` for ${kinds.length > 1 ? 'new' : 'a new'} ${tokens(kinds)}. ` +
          'Nodes already in the swarm are not affected; the old token stops working for new joins. Nothing was changed.',
      },
    ]);
  }
  if (!(await ctx.swarm.claimOperation({ key: `rotate-${ctx.requestId}`, attempt: ctx.attempt, description: `rotate ${which} by ${ctx.user}` }))) {
    return reply(`Rotation ${ctx.requestId} was already done`, 'info', [
      { kind: 'text', text: 'This request was delivered twice; the tokens were rotated once and are not rotated again.' },
    ]);
  }
  const { rotated } = await ctx.swarm.rotateJoinTokens(kinds);
  const unchanged = kinds.filter((k) => !rotated.includes(k));
  return reply(`Rotated the ${tokens(rotated.length ? rotated : kinds)} of ${ctx.cluster}`, unchanged.length ? 'warn' : 'ok', [
    {
      kind: 'text',
      text:
        (rotated.length ? `New ${tokens(rotated)} in place; the old one${rotated.length > 1 ? 's' : ''} no longer join${rotated.length > 1 ? '' : 's'} nodes. ` : '') +
        (unchanged.length ? `Docker reported no change for the ${tokens(unchanged)}. ` : '') +
        'Tokens are never shown; `/swarm join` reads the current one itself.',
    },
  ]);
};
