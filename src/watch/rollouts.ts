/**
 * The watch carries on the rollouts the worker stopped following: each
 * pass looks at every open one (whatever its cluster), edits its message
 * when the progress moved, and with the verdict closes it.
 */
import { signAlertButton } from '../domain/alert-button.js';
import { reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import type { OpenRollout, RolloutStore, SwarmNode } from '../ports.js';
import type { SwarmJobDeps } from '../shared/job-deps.js';
import { assessRollout, progressText } from '../shared/rollout.js';
import { rolloutReply, type RolloutResult } from '../shared/rollout-reply.js';

const VERB: Record<OpenRollout['op'], string> = { image: 'Update', scale: 'Scale', restart: 'Restart', rollback: 'Rollback' };

export interface RolloutFollowDeps extends Pick<SwarmJobDeps, 'credentials' | 'swarmFor' | 'chat' | 'log' | 'clock'> {
  rollouts: RolloutStore;
  botToken: () => Promise<string>;
}

/** a record this young may still be followed by the worker's last edit: left for the next pass */
const SETTLE_MS = 30_000;

/**
 * One look at every open rollout; rollouts that share a message (a stack's)
 * are looked at together and that message says all of them. What it said,
 * in order ("edit <services>", "verdict <services>").
 */
export async function followOpenRollouts(deps: RolloutFollowDeps, deadline: number): Promise<string[]> {
  const said: string[] = [];
  const now = deps.clock.now().getTime();
  const byMessage = new Map<string, OpenRollout[]>();
  for (const r of await deps.rollouts.open()) {
    const key = `${r.channel} ${r.ts}`;
    byMessage.set(key, [...(byMessage.get(key) ?? []), r]);
  }
  for (const group of byMessage.values()) {
    if (Date.now() > deadline) break;
    if (group.some((r) => now - r.startedAt < SETTLE_MS)) continue;
    const first = group[0]!;
    const names = group.map((r) => r.serviceName).join(', ');
    try {
      const results: RolloutResult[] = [];
      const hosts = new Map<string, string>();
      for (const r of group) {
        const swarm = deps.swarmFor(await deps.credentials.clusterCredentials(r.cluster));
        const svc = await swarm.services.inspect(r.serviceId);
        if (!svc) {
          results.push({ name: r.serviceName, what: r.what, view: { gone: true } as RolloutResult['view'] });
          continue;
        }
        const view = assessRollout(svc, await swarm.services.tasks({ serviceIds: [svc.id], upToDate: true }), r.op);
        if (view.verdict && !hosts.size) for (const n of await swarm.nodes.list().catch(() => [] as SwarmNode[])) hosts.set(n.id, n.hostname);
        results.push({ name: r.serviceName, what: r.what, view });
      }
      const done = results.every((x) => x.view.gone || x.view.verdict);
      if (done) {
        const token = await deps.botToken().catch(() => undefined);
        const sign = token ? (command: string) => signAlertButton({ command, cluster: first.cluster, channel: first.channel, now }, token) : undefined;
        const verb = group.length > 1 ? 'Rollout' : VERB[first.op];
        const verdict = rolloutReply(results, { cluster: first.cluster, verb, hosts, followed: '', ...(sign ? { sign } : {}) });
        await deps.chat.update(first.channel, first.ts, { ...verdict, parts: [...verdict.parts, { kind: 'context', text: `Request \`${first.requestId}\` by <@${first.requester}> · followed to its verdict by the watch` }] });
        for (const r of group) await deps.rollouts.close(r.cluster, r.serviceId);
        deps.log.info('rollout verdict', { cluster: first.cluster, services: names, requestId: first.requestId, verdicts: results.map((x) => x.view.verdict ?? 'gone') });
        said.push(`verdict ${names}`);
        continue;
      }
      const text = results.map((x) => (x.view.gone ? `${x.name}: removed` : x.view.verdict ? `${x.name}: ${x.view.verdict}` : progressText(x.view))).join('\n');
      if (text !== first.lastText) {
        await deps.chat.update(first.channel, first.ts, reply(first.title, 'info', [{ kind: 'text', text: `:hourglass_flowing_sand: ${text}` }, { kind: 'context', text: 'The watch follows this rollout to its verdict.' }]));
        for (const r of group) await deps.rollouts.put({ ...r, lastText: text });
        said.push(`edit ${names}`);
      }
    } catch (err) {
      deps.log.warn('could not follow a rollout', { cluster: first.cluster, services: names, error: describeError(err) });
    }
  }
  return said;
}
