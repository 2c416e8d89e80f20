/**
 * What the watch says in Slack, as neutral replies: the incident's message
 * (a plain title, what is wrong, the arithmetic where it matters, the
 * command to type next, buttons for the safe next step), replies in its
 * thread, and the edit of the first message once it is resolved.
 */
import { REGISTRY } from '../commands/registry.js';
import { reply, type Reply, type ReplyPart, } from '../domain/reply.js';
import { code } from '../render/escape.js';
import type { WatchIncident } from '../ports.js';
import { ALERT_ACTION } from '../domain/alert-button.js';
import type { Finding, Notice } from './detect.js';
import { DAY_MS, hhmm, span } from '../domain/time-format.js';
import { incidentTitle, KINDS } from '../render/incident-kinds.js';
import type { FollowUp } from './reconcile.js';
import type { OutsideChange } from './outside-changes.js';

/** signs a button's command (see watch-button.ts) */
export type SignCommand = (command: string) => string;

/** What to type to mute this incident's kind, or its node. */
const muteWord = (i: Pick<WatchIncident, 'kind' | 'name'>) => (KINDS[i.kind].perNode ? i.name : i.kind);

const has = (command: string) => REGISTRY.has(command);

interface Step {
  label: string;
  command: string;
  style?: 'primary' | 'danger';
}

/** a command of this version: two words ("service rollback") or one ("drain") */
const exists = (command: string) => {
  const [a, b] = command.split(' ');
  return has(`${a} ${b}`) || has(a!);
};

/** Roll back, Show service: the safe steps for a service */
function serviceSteps(name: string, c: string, rollback: boolean | undefined, lines: string[]): Step[] {
  const steps: Step[] = [];
  if (rollback && has('service rollback')) {
    lines.push(`${code(`/swarm service rollback ${name} ${c}`)} returns it to its previous spec.`);
    steps.push({ label: 'Roll back', command: `service rollback ${name} ${c}`, style: 'danger' });
  }
  if (has('service logs')) lines.push(`${code(`/swarm service logs ${name} ${c}`)} may say why.`);
  return steps;
}

/** The safe next steps: a line with the commands to type, and buttons for those that exist in this version. */
function nextSteps(
  i: Pick<WatchIncident, 'kind' | 'name' | 'subject' | 'cluster' | 'role'>,
  o: { flapping?: boolean; drainable?: boolean; downForDay?: boolean; rollback?: boolean },
): { text: string; steps: Step[] } {
  const c = `--cluster ${i.cluster}`;
  const service = i.kind.startsWith('service-');
  const lines: string[] = [service ? `${code(`/swarm service ${i.name} ${c}`)} shows its tasks and their errors.` : `${code(`/swarm status ${c}`)} shows the whole picture.`];
  const steps: Step[] = [service ? { label: 'Show service', command: `service ${i.name} ${c}` } : { label: 'Show status', command: `status ${c}` }];
  switch (i.kind) {
    case 'service-rollout':
    case 'service-crash-loop':
    case 'service-unschedulable':
    case 'service-replicas':
    case 'service-changed':
      if (i.kind === 'service-unschedulable') lines.push(`${code(`/swarm nodes ${c}`)} shows which nodes are drained or down; constraints and resources decide where tasks go.`);
      steps.unshift(...serviceSteps(i.name, c, o.rollback, lines));
      break;
    case 'node-down':
      if (o.flapping && o.drainable && has('drain')) {
        lines.push(`It keeps coming and going: ${code(`/swarm drain ${i.name} ${c}`)} keeps tasks off it until it is stable.`);
        steps.push({ label: 'Drain', command: `drain ${i.subject} ${c}` });
      }
      if (o.downForDay && has('node rm')) {
        const approval = i.role === 'manager' || REGISTRY.get('node rm')?.needsApproval;
        lines.push(`Gone for good? ${code(`/swarm node rm ${i.name} ${c}`)} removes it${approval ? ' (after an approval)' : ''}.`);
        steps.push({ label: approval ? 'Remove (needs approval)' : 'Remove', command: `node rm ${i.subject} ${c}`, style: 'danger' });
      }
      break;
    case 'manager-unreachable':
      lines.push(
        `Restart it if you can. Gone for good? It still counts in N: ${code(`/swarm demote ${i.name} ${c}`)}${has('node rm') ? ` and ${code(`/swarm node rm ${i.name} ${c}`)}` : ''} restore the arithmetic (after an approval).`,
      );
      break;
    case 'manager-locked':
      lines.push(has('unlock') ? `${code(`/swarm unlock ${i.name} ${c}`)} unlocks it with the key kept in SSM.` : 'Unlock it with `docker swarm unlock` on that host.');
      break;
    case 'quorum-lost':
      lines.push(
        'Restart the unreachable managers.' +
          (has('recover') ? ` Only if they are gone for good: ${code(`/swarm recover --from <manager> ${c}`)} (after an approval; read its consequences first).` : ''),
      );
      break;
    case 'quorum-at-risk':
      lines.push(
        `Bring the unreachable manager back before anything else; hold deploys that need the managers meanwhile.${i.name !== i.cluster ? ` Gone for good? It still counts in N: ${code(`/swarm demote ${i.name.split(', ')[0]} ${c}`)}${has('node rm') ? ` and ${code(`/swarm node rm ${i.name.split(', ')[0]} ${c}`)}` : ''} restore the arithmetic (after an approval).` : ''}`,
      );
      break;
    case 'ca-rotation-stuck':
    case 'cert-expiring':
      if (has('ca')) lines.push(`${code(`/swarm ca ${c}`)} shows the CA, its expiry and the nodes not yet rotated.`);
      break;
    case 'node-drained':
      lines.push(`When the maintenance is over: ${code(`/swarm activate ${i.name} ${c}`)}.`);
      break;
    case 'cluster-unreachable':
      lines.push("Check that the managers run and that the cluster's endpoints and certificates in SSM are right.");
      break;
    case 'leader-changed':
      break;
  }
  return { text: `*Next:* ${lines.join(' ')}`, steps: steps.filter((s) => exists(s.command)) };
}

function buttons(steps: Step[], sign: SignCommand): ReplyPart[] {
  if (!steps.length) return [];
  return [
    {
      kind: 'buttons',
      buttons: steps.map((s, n) => ({ label: s.label, actionId: `${ALERT_ACTION}-${n}`, value: sign(s.command), ...(s.style ? { style: s.style } : {}) })),
    },
  ];
}

const context = (i: Pick<WatchIncident, 'kind' | 'name' | 'cluster' | 'since'>) =>
  `Watch of ${code(i.cluster)} · first seen ${hhmm(i.since)} · to silence it: ${code(`/swarm watch mute ${muteWord(i)} 2h --cluster ${i.cluster}`)}`;

const body = (f: Finding): string => (f.arithmetic ? `${f.text}\n${f.arithmetic}` : f.text);

/** The incident's own message, posted once in the cluster's watch channel. */
export function incidentMessage(i: WatchIncident, f: Finding, o: { now: number; sign: SignCommand }): Reply {
  const next = nextSteps(i, { flapping: i.flaps > 0, drainable: f.drainable ?? false, downForDay: o.now - i.since >= DAY_MS, rollback: f.rollback ?? false });
  const flaps = i.flaps ? ` It came and went ${i.flaps + 1} times since ${hhmm(i.since)}.` : '';
  return reply(incidentTitle(i), KINDS[i.kind].tone, [
    { kind: 'text', text: body(f) + flaps },
    ...(f.parts ?? []),
    { kind: 'text', text: next.text },
    ...buttons(next.steps, o.sign),
    { kind: 'context', text: context(i) },
  ]);
}

/** Several incidents of one kind in one pass (a rack lost power): one message, one thread. */
export function groupMessage(incidents: WatchIncident[], o: { sign: SignCommand }): Reply {
  const first = incidents[0]!;
  const names = incidents.map((i) => code(i.name));
  const shown = names.slice(0, 30);
  const next = nextSteps(first, {});
  return reply(`${incidents.length} ${KINDS[first.kind].many} on ${first.cluster}`, KINDS[first.kind].tone, [
    { kind: 'text', text: `${shown.join(', ')}${names.length > shown.length ? `, and ${names.length - shown.length} more` : ''}. Each is followed in this thread.` },
    { kind: 'text', text: next.text },
    ...buttons(next.steps, o.sign),
    { kind: 'context', text: `Watch of ${code(first.cluster)} · first seen ${hhmm(Math.min(...incidents.map((i) => i.since)))} · \`/swarm watch --cluster ${first.cluster}\` lists them` },
  ]);
}

/** A reply in the thread: the facts changed, the node keeps flapping, or it has been down a day. */
export function followUpMessage(i: WatchIncident, f: Finding, what: FollowUp, o: { now: number; sign: SignCommand }): Reply {
  if (what === 'detail') {
    return reply(`Update: ${incidentTitle(i)}`, KINDS[i.kind].tone, [{ kind: 'text', text: body(f) }, ...(f.parts ?? [])]);
  }
  const next = nextSteps(i, what === 'flapping' ? { flapping: true, drainable: f.drainable ?? false } : { downForDay: true });
  const text =
    what === 'flapping'
      ? `${code(i.name)} keeps flapping: down ${i.flaps + 1} times since ${hhmm(i.since)}.`
      : `${code(i.name)} has been down for ${span(o.now - i.since)}.${i.role === 'manager' ? ' A dead manager still counts in N until it is demoted and removed.' : ''}`;
  return reply(`${what === 'flapping' ? 'Flapping' : 'Down for a day'}: ${i.name}`, 'warn', [
    { kind: 'text', text },
    { kind: 'text', text: next.text },
    ...buttons(next.steps.filter((s) => s.label !== 'Show status'), o.sign),
  ]);
}

/** The resolution, in the thread. */
export function resolutionReply(incidents: WatchIncident[], now: number): Reply {
  const lines = incidents.map((i) => `${KINDS[i.kind].resolved(i.name)} Resolved after ${span(now - i.since)}.`);
  const one = incidents.length === 1 ? incidents[0]! : undefined;
  return reply(one ? `Resolved after ${span(now - one.since)}: ${incidentTitle(one)}` : `${incidents.length} resolved`, 'ok', [{ kind: 'text', text: lines.join('\n') }]);
}

/** The first message, edited once nothing in its thread is open any more: said resolved, buttons gone. */
export function resolvedParent(incidents: WatchIncident[], now: number): Reply {
  const first = incidents.reduce((a, b) => (b.since < a.since ? b : a));
  // the title it was posted with: one incident's, or the group's ("6 nodes down on prod")
  const title = first.title ?? (incidents.length === 1 ? incidentTitle(first) : `${incidents.length} ${KINDS[first.kind].many} on ${first.cluster}`);
  return reply(`Resolved after ${span(now - first.since)}: ${title}`, 'ok', [
    ...(first.text ? [{ kind: 'text' as const, text: first.text }] : []),
    { kind: 'context', text: `Resolved at ${hhmm(now)}; first seen ${hhmm(first.since)}. The thread has the details.` },
  ]);
}

export function noticeMessage(n: Notice, cluster: string, o: { sign: SignCommand }): Reply {
  const next = nextSteps({ kind: n.kind, name: n.to, subject: '-', cluster }, {});
  return reply(`${KINDS[n.kind].title(n.to, cluster)}: ${n.from} → ${n.to}`, 'info', [
    { kind: 'text', text: n.text },
    ...buttons(next.steps, o.sign),
    { kind: 'context', text: `Watch of ${code(cluster)} · information only · to silence: ${code(`/swarm watch mute leader-changed 1d --cluster ${cluster}`)}` },
  ]);
}

const CHANGE_WORD: Record<OutsideChange['type'], string> = { changed: 'Changed', created: 'Created', removed: 'Removed' };

/**
 * Services changed, created or removed outside swarm-ops (over ssh): posted
 * once per change, saying what changed and when; who can't be known. One
 * service: its own message with Roll back; several in one pass: one message.
 */
export function outsideChangeMessage(changes: OutsideChange[], cluster: string, o: { since?: number; sign: SignCommand }): Reply {
  const c = `--cluster ${cluster}`;
  // Docker's UpdatedAt; without it, between the watch's last look and this one
  const when = (x: OutsideChange) => (x.type === 'removed' && o.since !== undefined ? `between ${hhmm(o.since)} and ${hhmm(x.at)}` : `at ${hhmm(x.at)}`);
  const verb = (x: OutsideChange) => (x.type === 'changed' ? 'was changed' : x.type === 'created' ? 'was created' : 'was removed');
  const one = changes.length === 1 ? changes[0]! : undefined;
  const parts: ReplyPart[] = [];
  const rollBack = changes.filter((x) => x.rollback && x.type === 'changed');
  if (one) {
    parts.push({ kind: 'text', text: `${code(one.name)} ${verb(one)} outside swarm-ops ${when(one)} (someone ran \`docker service ${one.type === 'changed' ? 'update' : one.type === 'created' ? 'create' : 'rm'}\` or a stack deploy; who can't be known).` });
    parts.push({ kind: 'list', title: one.type === 'changed' ? 'What changed' : one.type === 'created' ? 'What it runs' : 'What it was', items: one.lines });
  } else {
    parts.push({ kind: 'text', text: `${changes.length} services were changed, created or removed outside swarm-ops (who can't be known):` });
    parts.push({ kind: 'list', title: 'Changes', items: changes.slice(0, 30).map((x) => `${code(x.name)} ${verb(x)} ${when(x)}: ${x.lines.join('; ')}`) });
  }
  const lines: string[] = [];
  if (rollBack.length && has('service rollback')) lines.push(`${rollBack.map((x) => code(`/swarm service rollback ${x.name} ${c}`)).join(', ')} returns it to the spec before.`);
  const shown = changes.filter((x) => x.type !== 'removed');
  if (shown.length) lines.push(`${code(`/swarm service ${shown[0]!.name} ${c}`)} shows it now.`);
  if (lines.length) parts.push({ kind: 'text', text: `*Next:* ${lines.join(' ')}` });
  const steps: Step[] = [
    ...(has('service rollback') ? rollBack.slice(0, 4).map((x) => ({ label: rollBack.length > 1 ? `Roll back ${x.name}` : 'Roll back', command: `service rollback ${x.name} ${c}`, style: 'danger' as const })) : []),
    ...(one && one.type !== 'removed' && has('service') ? [{ label: 'Show service', command: `service ${one.name} ${c}` }] : []),
  ];
  parts.push(...buttons(steps, o.sign));
  parts.push({ kind: 'context', text: `Watch of ${code(cluster)} · changes swarm-ops makes are never posted here · to silence: ${code(`/swarm watch mute ${one ? one.name : 'service-changed'} 2h ${c}`)}` });
  const title = one ? `${CHANGE_WORD[one.type]} outside swarm-ops: ${one.name} (${cluster})` : `${changes.length} services changed outside swarm-ops on ${cluster}`;
  return reply(title, 'warn', parts);
}
