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
import { rolloutReply } from '../shared/rollout-reply.js';

const VERB: Record<OpenRollout['op'], string> = { image: 'Update', scale: 'Scale', restart: 'Restart', rollback: 'Rollback' };

export interface RolloutFollowDeps extends Pick<SwarmJobDeps, 'credentials' | 'swarmFor' | 'chat' | 'log' | 'clock'> {
  rollouts: RolloutStore;
  botToken: () => Promise<string>;
}

/** One look at every open rollout; what it said, in order ("edit <service>", "verdict <service>"). */
export async function followOpenRollouts(deps: RolloutFollowDeps, deadline: number): Promise<string[]> {
  const said: string[] = [];
  const open = await deps.rollouts.open();
  for (const r of open) {
    if (Date.now() > deadline) break;
    try {
      const swarm = deps.swarmFor(await deps.credentials.clusterCredentials(r.cluster));
      const svc = await swarm.services.inspect(r.serviceId);
      const now = deps.clock.now().getTime();
      if (!svc) {
        await deps.chat.update(r.channel, r.ts, reply(`${VERB[r.op]}: service gone`, 'warn', [{ kind: 'text', text: `\`${r.serviceName}\` was removed while it rolled out.` }]));
        await deps.rollouts.close(r.cluster, r.serviceId);
        said.push(`verdict ${r.serviceName}`);
        continue;
      }
      const view = assessRollout(svc, await swarm.services.tasks({ serviceIds: [svc.id], upToDate: true }), r.op);
      if (view.verdict) {
        const hosts = new Map((await swarm.nodes.list().catch(() => [] as SwarmNode[])).map((n) => [n.id, n.hostname]));
        const token = await deps.botToken().catch(() => undefined);
        const sign = token ? (command: string) => signAlertButton({ command, cluster: r.cluster, channel: r.channel, now }, token) : undefined;
        const verdict = rolloutReply([{ name: r.serviceName, what: r.what, view }], { cluster: r.cluster, verb: VERB[r.op], hosts, followed: '', ...(sign ? { sign } : {}) });
        await deps.chat.update(r.channel, r.ts, { ...verdict, parts: [...verdict.parts, { kind: 'context', text: `Request \`${r.requestId}\` by <@${r.requester}> · followed to its verdict by the watch` }] });
        await deps.rollouts.close(r.cluster, r.serviceId);
        deps.log.info('rollout verdict', { cluster: r.cluster, service: r.serviceName, verdict: view.verdict, requestId: r.requestId });
        said.push(`verdict ${r.serviceName}`);
        continue;
      }
      const text = progressText(view);
      if (text !== r.lastText) {
        await deps.chat.update(r.channel, r.ts, reply(r.title, 'info', [{ kind: 'text', text: `:hourglass_flowing_sand: ${text}` }, { kind: 'context', text: 'The watch follows this rollout to its verdict.' }]));
        await deps.rollouts.put({ ...r, lastText: text });
        said.push(`edit ${r.serviceName}`);
      }
    } catch (err) {
      deps.log.warn('could not follow a rollout', { cluster: r.cluster, service: r.serviceName, error: describeError(err) });
    }
  }
  return said;
}
