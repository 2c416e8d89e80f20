import type { TokenKind } from '../config/policy.js';
import type { ArgsFor } from '../commands/registry.js';
import { reply } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { ChangeAction } from './types.js';

const kindsOf = (which: 'worker' | 'manager' | 'both'): TokenKind[] => (which === 'both' ? ['worker', 'manager'] : [which]);
const tokens = (kinds: TokenKind[]) => `${kinds.join(' and ')} join token${kinds.length > 1 ? 's' : ''}`;

export const rotate: ChangeAction<ArgsFor<'rotate'>, { kinds: TokenKind[] }> = {
  async plan(ctx, { which }) {
    const kinds = kindsOf(which);
    // a rotation needs a leader; a dry run says so just the same
    await ctx.swarm.nodes.list();
    return {
      summary: `rotate the ${tokens(kinds)} of ${code(ctx.cluster)}`,
      details: [{ kind: 'text', text: 'Nodes already in the swarm are not affected; the old token stops working for new joins.' }],
      data: { kinds },
    };
  },
  async apply(ctx, _args, plan) {
    const { kinds } = plan.data;
    const { rotated } = await ctx.swarm.tokens.rotate(kinds);
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
  },
};
