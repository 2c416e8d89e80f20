import { reply, type Tone } from '../domain/reply.js';
import { redactSecrets } from '../errors.js';
import type { AuditEvent } from '../jobs.js';
import type { Log } from '../log.js';
import type { AuditHistory, ChatPort, Counters } from '../ports.js';
import { code } from '../render/escape.js';

/** Slack takes about one message a second per channel: a flood of refusals (a script, a stuck button) must not drown the audit channel, while a person retrying a few times is still seen. */
const REFUSALS_POSTED_PER_MINUTE = 20;

const TONE: Record<AuditEvent['outcome'], Tone> = {
  requested: 'info',
  'dry-run': 'info',
  approved: 'ok',
  succeeded: 'ok',
  refused: 'warn',
  denied: 'warn',
  expired: 'warn',
  failed: 'error',
};

/** Slack user IDs become mentions; the scheduler and other actors stay plain. */
const mention = (who: string) => (/^[UW][A-Z0-9]+$/.test(who) ? `<@${who}>` : code(who));

export interface Audit {
  record(event: AuditEvent, policy: { auditChannel: string; auditRetentionDays: number }): Promise<void>;
}

/**
 * Every audited event: one JSON log line, an item in the bot's table (for
 * `/swarm audit`), and a message in the policy's audit channel. Slack is the
 * last of the three: the record never depends on it.
 */
export function createAudit({ chat, log, history, counters }: { chat: ChatPort; log: Log; history: AuditHistory; counters?: Counters }): Audit {
  /** Refusals can come in floods (a script, a stuck button): past a few a minute they stay in the log and the table. */
  async function flooded(event: AuditEvent, channel: string): Promise<'post' | 'announce' | 'hold'> {
    if (event.outcome !== 'refused' || !counters) return 'post';
    const n = await counters.increment(`refusals#${channel}#${event.at.slice(0, 16)}`, 3600).catch(() => 0);
    return n <= REFUSALS_POSTED_PER_MINUTE ? 'post' : n === REFUSALS_POSTED_PER_MINUTE + 1 ? 'announce' : 'hold';
  }

  return {
    async record(event, policy) {
      const safe = JSON.parse(redactSecrets(JSON.stringify(event))) as AuditEvent;
      log.info('audit', { audit: safe });
      await history.append(safe, policy.auditRetentionDays).catch((err) => log.error('audit history write failed', { requestId: safe.requestId, error: redactSecrets(String(err)) }));
      const flood = await flooded(safe, policy.auditChannel);
      if (flood === 'hold') return;
      if (flood === 'announce') {
        await chat
          .post(policy.auditChannel, reply('audit: refusals coalesced', 'warn', [{ kind: 'text', text: `More than ${REFUSALS_POSTED_PER_MINUTE} refusals this minute: the rest of this minute's are in the JSON log and in \`/swarm audit\`, not posted one by one.` }]))
          .catch((err) => log.error('audit post to Slack failed', { error: redactSecrets(String(err)) }));
        return;
      }
      const fields: Array<[string, string]> = [
        ['Who', mention(safe.user)],
        ['Command', code(`/swarm ${safe.command}`)],
        ['Cluster', safe.cluster ? code(safe.cluster) : '-'],
        ['Outcome', safe.outcome],
      ];
      if (safe.approver) fields.push(['Approver', mention(safe.approver)]);
      if (safe.durationMs !== undefined) fields.push(['Duration', `${(safe.durationMs / 1000).toFixed(1)} s`]);
      const message = reply(`audit: ${safe.outcome} /swarm ${safe.command}`.slice(0, 140), TONE[safe.outcome], [
        { kind: 'fields', fields },
        { kind: 'text', text: safe.detail || '-' },
        { kind: 'context', text: `request ${code(safe.requestId)} · ${safe.at.slice(0, 16).replace('T', ' ')} UTC` },
      ]);
      try {
        await chat.post(policy.auditChannel, message);
      } catch (err) {
        // the log line and the table item above are the record
        log.error('audit post to Slack failed', { requestId: safe.requestId, error: redactSecrets(String(err)) });
      }
    },
  };
}

