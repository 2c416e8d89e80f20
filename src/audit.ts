import { reply, type Tone } from './domain/reply.js';
import { redactSecrets } from './errors.js';
import type { AuditEvent } from './jobs.js';
import type { Log } from './log.js';
import type { AuditHistory, ChatPort } from './ports.js';
import { code } from './render/escape.js';

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
export function createAudit({ chat, log, history }: { chat: ChatPort; log: Log; history: AuditHistory }): Audit {
  return {
    async record(event, policy) {
      const safe = JSON.parse(redactSecrets(JSON.stringify(event))) as AuditEvent;
      log.info('audit', { audit: safe });
      await history.append(safe, policy.auditRetentionDays).catch((err) => log.error('audit history write failed', { requestId: safe.requestId, error: redactSecrets(String(err)) }));
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

