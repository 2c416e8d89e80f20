import { reply, type Tone } from './domain/reply.js';
import { redactSecrets } from './errors.js';
import type { AuditEvent } from './jobs.js';
import type { Log } from './log.js';
import type { ChatPort } from './ports.js';
import { renderBlockKit } from './render/block-kit.js';

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
const mention = (who: string) => (/^[UW][A-Z0-9]+$/.test(who) ? `<@${who}>` : who);

export interface Audit {
  record(event: AuditEvent, auditChannel: string): Promise<void>;
}

/** Every audited event: one JSON log line, and a message in the policy's audit channel. */
export function createAudit({ chat, log }: { chat: ChatPort; log: Log }): Audit {
  return {
    async record(event, auditChannel) {
      const safe = JSON.parse(redactSecrets(JSON.stringify(event))) as AuditEvent;
      log.info('audit', { audit: safe });
      const fields: Array<[string, string]> = [
        ['Who', mention(safe.user)],
        ['Command', `\`/swarm ${safe.command}\``],
        ['Cluster', safe.cluster ?? '-'],
        ['Outcome', safe.outcome],
      ];
      if (safe.approver) fields.push(['Approver', mention(safe.approver)]);
      if (safe.durationMs !== undefined) fields.push(['Duration', `${(safe.durationMs / 1000).toFixed(1)} s`]);
      const message = renderBlockKit(
        reply(`audit: ${safe.outcome} /swarm ${safe.command}`.slice(0, 140), TONE[safe.outcome], [
          { kind: 'fields', fields },
          { kind: 'text', text: safe.detail || '-' },
          { kind: 'context', text: `request ${safe.requestId} · ${safe.at}` },
        ]),
      );
      try {
        await chat.postMessage(auditChannel, message);
      } catch (err) {
        // the log line above is the record of last resort
        log.error('audit post to Slack failed', { requestId: safe.requestId, error: redactSecrets(String(err)) });
      }
    },
  };
}
