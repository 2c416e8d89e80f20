/**
 * The `watch` function's wiring: the scheduled functions' parts (policy and
 * credentials from SSM, the swarm, Slack with the bot token, the table),
 * with the table as the incident store.
 */
import { DockerSwarm } from '../adapters/docker-swarm.js';
import { createWatch, type WatchTiming } from '../app/watch.js';
import { parsePolicy } from '../config/policy.js';
import type { ChatPort, Claims, Clock, ClusterCredentials, IncidentStore } from '../ports.js';
import { renderPlainText } from '../render/plain-text.js';
import { composeWorkerParts } from './worker.js';

export function composeWatch(env: NodeJS.ProcessEnv = process.env, o: { clock?: Clock; timing?: WatchTiming } = {}) {
  const { params, deps, state } = composeWorkerParts(env, 'watch', o.clock);
  // alert buttons are signed with a key from the bot token: this function's role can't read the signing secret
  return createWatch({ ...deps, incidents: state, botToken: () => params.botToken(), ...(o.timing ? { timing: o.timing } : {}) });
}

/**
 * `npm start -- --watch-once`: one watch pass over one cluster (by default
 * the swarm lab), with the incidents in the given store and every post
 * printed as plain text instead of sent to Slack. No grace period: what is
 * wrong now is said now.
 */
export async function runWatchOnce(creds: ClusterCredentials, store: IncidentStore & Claims): Promise<{ output: string; ok: boolean }> {
  const out: string[] = [];
  let ts = 0;
  const print: ChatPort = {
    respond: async () => undefined,
    post: async (channel, r, o) => {
      out.push(`--- ${o?.threadTs ? `reply in thread ${o.threadTs}` : `post`} in #${channel} ---`, renderPlainText(r));
      return { ts: `${++ts}.000000` };
    },
    update: async (channel, at, r) => void out.push(`--- edit of ${at} in #${channel} ---`, renderPlainText(r)),
  };
  const errors: string[] = [];
  const log = { info() {}, warn() {}, error: (message: string, fields?: unknown) => void errors.push(`${message} ${JSON.stringify(fields ?? {})}`), appendKeys() {}, resetKeys() {} };
  const policy = parsePolicy(
    JSON.stringify({ defaultCluster: 'lab', auditChannel: 'CLOCALAUDIT', roles: { viewer: [], operator: [], approver: [] }, clusters: { lab: { watch: { channel: 'CLOCALWATCH', graceMinutes: 0 } } } }),
  );
  const watch = createWatch({
    policies: { policy: async () => policy },
    credentials: { clusterCredentials: async () => creds, invalidate: () => undefined },
    swarmFor: (c) => new DockerSwarm(c),
    chat: print,
    log,
    clock: { now: () => new Date() },
    claims: store,
    incidents: store,
    // the buttons are printed, never clicked: any key will do
    botToken: async () => 'local',
  });
  const [result] = await watch({ id: `local-${Date.now()}` });
  if (!result?.said.length) out.push(`The watch found nothing to say about lab: ${result?.open ? `${result.open} incident(s) open` : 'all quiet'}.`);
  return { output: [...out, ...errors].join('\n') + '\n', ok: result?.outcome === 'checked' };
}
