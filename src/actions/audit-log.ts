import type { ArgsFor } from '../commands/registry.js';
import { reply } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { AuditEvent } from '../jobs.js';
import type { ReadAction } from './types.js';

const DAY_MS = 86_400_000;
const mention = (who: string) => (/^[UW][A-Z0-9]+$/.test(who) ? `<@${who}>` : who);

const when = (at: string) => `${at.slice(5, 10)} ${at.slice(11, 16)}`;

/** `/swarm audit`: who changed what, when, from the bot's own table, newest first. */
export const audit: ReadAction<ArgsFor<'audit'>> = {
  async run(ctx, args) {
    const sinceMs = args.since ?? DAY_MS;
    const limit = args.limit ?? 20;
    const since = new Date(ctx.clock.now().getTime() - sinceMs);
    const cluster = args.cluster ?? ctx.cluster;
    const events: AuditEvent[] = await ctx.history.query({ since, cluster, limit, ...(args.user ? { user: args.user } : {}) });
    const span = sinceMs >= 2 * DAY_MS && sinceMs % DAY_MS === 0 ? `${sinceMs / DAY_MS}d` : sinceMs % 3_600_000 === 0 ? `${sinceMs / 3_600_000}h` : `${sinceMs / 60_000}m`;
    const who = args.user ? ` by ${mention(args.user)}` : '';
    if (!events.length) {
      return reply(`Audit of ${cluster}: nothing in the last ${span}`, 'info', [
        { kind: 'text', text: `No audited events${who} on ${code(cluster)} since ${since.toISOString().slice(0, 16).replace('T', ' ')} UTC.${sinceMs < 7 * DAY_MS ? ' Try `--since 7d`.' : ''}` },
      ]);
    }
    return reply(`Audit of ${cluster}: the last ${events.length} event${events.length === 1 ? '' : 's'} (${span})`, 'info', [
      {
        kind: 'table',
        noun: 'events',
        columns: ['WHEN (UTC)', 'WHO', 'OUTCOME', 'COMMAND', 'REQUEST'],
        rows: events.map((e) => [when(e.at), e.approver && e.outcome !== 'requested' ? `${e.user} / ${e.approver}` : e.user, e.outcome, e.command.slice(0, 60), e.requestId]),
      },
      { kind: 'context', text: `Newest first${who}. \`--since 7d\`, \`--user @name\` and \`--limit N\` narrow or widen it; the audit channel has every detail.` },
    ]);
  },
};
