/**
 * How a rollout's verdict reads, the same whether the worker followed it to
 * the end or the watch carried it on: one paragraph per service, the failing
 * task with its node and Docker's words, and a signed Roll back button when
 * Docker paused it.
 */
import { ALERT_ACTION } from '../domain/alert-button.js';
import { reply, type Reply, type ReplyPart, type Tone } from '../domain/reply.js';
import { code } from '../render/escape.js';
import { progressText, type RolloutView } from './rollout.js';
import { shortImage, taskProblem } from './service-health.js';

export type RolloutOutcome = 'converged' | 'paused' | 'rolled back' | 'following' | 'handed on' | 'gone' | 'not changed';

export interface RolloutResult {
  name: string;
  /** "image `a:1` → `a:2`" */
  what: string;
  view: RolloutView & { gone?: boolean };
  /** the watch carries it on (the worker stopped following) */
  handedOn?: boolean;
  /** Docker refused this one (others of the same request went ahead): why */
  notChanged?: string;
}

export const outcomeOf = (r: RolloutResult): RolloutOutcome =>
  r.notChanged !== undefined ? 'not changed' : r.view.gone ? 'gone' : (r.view.verdict ?? (r.handedOn ? 'handed on' : 'following'));

const TONE: Record<RolloutOutcome, Tone> = { converged: 'ok', paused: 'error', 'rolled back': 'warn', following: 'info', 'handed on': 'info', gone: 'warn', 'not changed': 'error' };
const ORDER: RolloutOutcome[] = ['paused', 'not changed', 'gone', 'rolled back', 'following', 'handed on', 'converged'];

function failingLine(v: RolloutView, hosts: ReadonlyMap<string, string>): string | undefined {
  const t = v.failing;
  if (!t) return undefined;
  const where = t.nodeId ? ` on ${code(hosts.get(t.nodeId) ?? t.nodeId.slice(0, 12))}` : '';
  return `${code(t.slot !== undefined ? `${v.service.name}.${t.slot}` : v.service.name)}${where}: ${t.state}: ${code(taskProblem(t) ?? t.message)}`;
}

export interface RolloutReplyOptions {
  cluster: string;
  /** "Update", "Scale", "Stack shop rollback" */
  verb: string;
  hosts: ReadonlyMap<string, string>;
  /** how long the worker followed, for "still rolling out after 10 min" */
  followed: string;
  /** signs a Roll back button's command; no button without it */
  sign?: (command: string) => string;
}

export function rolloutReply(results: RolloutResult[], o: RolloutReplyOptions): Reply {
  const worst = results.map(outcomeOf).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b))[0] ?? 'converged';
  const parts: ReplyPart[] = [];
  const rollBack: string[] = [];
  for (const r of results) {
    const v = r.view;
    const name = code(r.name);
    switch (outcomeOf(r)) {
      case 'converged':
        parts.push({ kind: 'text', text: `${name}: converged, ${v.done} of ${v.total} tasks running ${code(shortImage(v.service.image))} (${r.what}).` });
        break;
      case 'gone':
        parts.push({ kind: 'text', text: `${name} was removed while it rolled out.` });
        break;
      case 'not changed':
        parts.push({ kind: 'text', text: `${name}: not changed (${r.what}): ${r.notChanged}` });
        break;
      case 'following':
        parts.push({ kind: 'text', text: `${name}: still rolling out after ${o.followed}: ${progressText(v)}. Docker goes on; type \`/swarm service ${r.name}\` to see where it stands.` });
        break;
      case 'handed on':
        parts.push({ kind: 'text', text: `${name}: still rolling out after ${o.followed}: ${progressText(v)}. The watch goes on following it and edits this message with the verdict.` });
        break;
      default: {
        const paused = outcomeOf(r) === 'paused';
        const line = failingLine(v, o.hosts);
        parts.push({
          kind: 'text',
          text:
            `${name}: ${paused ? 'Docker paused the rollout' : 'Docker rolled it back'} (${v.done} of ${v.total} tasks on ${code(shortImage(v.service.image))}).` +
            `${v.dockerMessage ? ` Docker says: ${code(v.dockerMessage)}.` : ''}${line ? `\nFailing: ${line}` : ''}`,
        });
        // a paused rollback already is the way back: rolling back again would go forward to the failed spec
        if (paused && !v.rollingBack) rollBack.push(r.name);
        else if (paused) parts.push({ kind: 'context', text: `Docker paused the way back too; type \`/swarm service update ${r.name} --image <a good image>\` to run a known-good image.` });
      }
    }
  }
  if (rollBack.length) {
    parts.push({ kind: 'context', text: `To go back to the previous spec: ${rollBack.map((n) => `\`/swarm service rollback ${n}\``).join(', ')}; \`/swarm service logs <name>\` may say why it failed.` });
    if (o.sign) {
      parts.push({
        kind: 'buttons',
        buttons: rollBack.slice(0, 5).map((n, i) => ({ label: rollBack.length > 1 ? `Roll back ${n}` : 'Roll back', actionId: `${ALERT_ACTION}-rollback-${i}`, value: o.sign!(`service rollback ${n} --cluster ${o.cluster}`), style: 'danger' as const })),
      });
    }
  }
  const word: Record<RolloutOutcome, string> = { converged: 'done', paused: 'paused', 'rolled back': 'rolled back by Docker', following: 'still rolling out', 'handed on': 'still rolling out', gone: 'service gone', 'not changed': 'partly refused' };
  return reply(`${o.verb} ${word[worst]}`, TONE[worst], parts);
}
