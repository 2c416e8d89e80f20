import type { ArgsFor } from '../commands/registry.js';
import { reply, type Reply } from '../domain/reply.js';
import { describeError, SwarmError, UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { ChangeAction, ChangeContext, ReadContext } from './types.js';
import { unlockKeyParameter } from '../config/ssm-names.js';

type Mode = 'on' | 'off' | 'rotate';

/** Where the key really is: the store says (a file locally); in production the cluster's SSM parameter. */
const kept = (ctx: ReadContext) =>
  `The unlock key is kept ${ctx.unlockKeyPlace ?? `in SSM (${code(unlockKeyParameter(ctx.cluster))} under the stage's prefix, a SecureString)`} and is never shown; \`/swarm unlock <manager>\` uses it.`;

/** Reads the key the swarm now has and keeps it; the key goes from Docker to SSM and nowhere else. */
async function keepKey(ctx: ChangeContext): Promise<void> {
  await ctx.unlockKeys.put(ctx.cluster, await ctx.swarm.cluster.unlockKey());
}

/** `/swarm autolock on|off|rotate`: managers restarted later need the key; the bot keeps it, never shows it. */
export const autolock: ChangeAction<ArgsFor<'autolock'>, { mode: Mode }> = {
  async plan(ctx, { mode }) {
    const info = await ctx.swarm.cluster.inspect();
    const summary = { on: 'turn autolock on', off: 'turn autolock off', rotate: 'rotate the unlock key' }[mode] + ` for ${code(ctx.cluster)}`;
    if ((mode === 'on' && info.autolock) || (mode === 'off' && !info.autolock)) {
      return { summary, details: [], data: { mode }, done: reply(`Autolock is already ${mode} for ${ctx.cluster}`, 'info', [{ kind: 'text', text: 'Nothing was changed.' }]) };
    }
    if (mode === 'rotate' && !info.autolock) throw new UserFacingError('VALIDATION', `Autolock is off for ${code(ctx.cluster)}: there is no unlock key to rotate. Type \`/swarm autolock on\` first.`);
    const text = {
      on: 'Managers encrypt their Raft keys at rest: a restarted manager stays locked until it is unlocked with the key.',
      off: 'Managers no longer need a key after a restart. The kept key is left where it is until overwritten.',
      rotate: 'A new unlock key replaces the old one; managers that are locked now still need the old one.',
    }[mode];
    return { summary, details: [{ kind: 'text', text: `${text} ${mode === 'off' ? '' : kept(ctx)}`.trim() }], data: { mode } };
  },

  async apply(ctx, _args, plan) {
    const { mode } = plan.data;
    if (mode === 'off') {
      await ctx.swarm.cluster.setAutolock(false);
      return reply(`Autolock is off for ${ctx.cluster}`, 'ok', plan.details);
    }
    if (mode === 'on') await ctx.swarm.cluster.setAutolock(true);
    else await ctx.swarm.cluster.rotateUnlockKey();
    try {
      await keepKey(ctx);
    } catch (err) {
      return undo(ctx, mode, err);
    }
    return reply(mode === 'on' ? `Autolock is on for ${ctx.cluster}` : `Unlock key of ${ctx.cluster} rotated`, 'ok', [{ kind: 'text', text: kept(ctx) }]);
  },
};

/** A key that can't be kept must not lock anyone out: autolock goes off again. */
async function undo(ctx: ChangeContext, mode: Mode, err: unknown): Promise<Reply> {
  const why = err instanceof UserFacingError ? err.message : describeError(err).message;
  try {
    await ctx.swarm.cluster.setAutolock(false);
  } catch (offErr) {
    throw new SwarmError(
      'UNCERTAIN',
      `The unlock key could not be kept in SSM (${why}), and turning autolock off again failed too (${describeError(offErr).message}). ` +
        'Fix SSM access, then type `/swarm autolock rotate` at once: until then a restarted manager can\'t be unlocked by swarm-ops.',
    );
  }
  return reply(`Autolock ${mode === 'on' ? 'not turned on' : 'turned off'} for ${ctx.cluster}`, 'error', [
    { kind: 'text', text: `The unlock key could not be kept in SSM (${why}), so autolock was turned off again: no manager can end up locked with a key nobody has. Fix SSM access and try again.` },
  ]);
}
