/**
 * The buttons under a watch alert ("Show status", "Drain", "Remove"): each
 * carries the command it stands for, signed with the approval buttons' HMAC
 * (`signApproval`) so that a forged or edited value is refused. A click is
 * an ordinary command typed by whoever clicked: the ingress checks role,
 * cluster and channel, the worker checks them again, and an approval
 * command still asks a second person.
 *
 * The key: the watch function has the scheduled functions' role, which may
 * not read the Slack signing secret, so these buttons are signed with a key
 * derived from the bot token instead (the ingress reads both). A button's
 * value is then exactly as trustworthy as a message from the bot: whoever
 * could forge one could post as the bot anyway. It is bound to its channel
 * and expires, and it grants nothing the clicker could not type.
 */
import { signApproval, verifyApproval } from './approval.js';

/** the prefix of every alert button's action_id (Slack wants them unique within a message) */
export const ALERT_ACTION = 'swarm-ops-alert';
/** who "requests" an alert button's command in its signed value: no person, the watch */
const WATCH = 'watch';
/** how long an alert's buttons work */
export const ALERT_BUTTON_TTL_MS = 7 * 86_400_000;

/** The signing input: a label of its own over the bot token, so an alert value never verifies as an approval and vice versa. */
const alertSecret = (botToken: string) => `swarm-ops-alert-button:${botToken}`;

export function signAlertButton(b: { command: string; cluster: string; channel: string; now: number }, botToken: string): string {
  return signApproval(
    { v: 1, id: `alert-${b.now.toString(36)}`, text: b.command, cluster: b.cluster, requester: WATCH, channel: b.channel, exp: b.now + ALERT_BUTTON_TTL_MS },
    alertSecret(botToken),
  );
}

export type AlertClick = { ok: true; command: string; cluster: string; channel: string } | { ok: false; why: 'forged' | 'expired' };

/** The command behind an alert button, if we signed its value and it has not expired. */
export function verifyAlertButton(value: string, botToken: string, now: number): AlertClick {
  const req = verifyApproval(value, alertSecret(botToken));
  if (!req || req.requester !== WATCH) return { ok: false, why: 'forged' };
  if (now > req.exp) return { ok: false, why: 'expired' };
  return { ok: true, command: req.text, cluster: req.cluster, channel: req.channel };
}
