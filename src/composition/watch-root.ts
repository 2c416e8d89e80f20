/**
 * The `watch` function's wiring: the scheduled functions' parts (policy and
 * credentials from SSM, the swarm, Slack with the bot token, the table),
 * with the table as the incident store (DynamoWatchStore).
 */
import { DockerSwarm } from '../adapters/docker/docker-swarm.js';
import { createWatch, type WatchTiming } from '../watch/watch-pass.js';
import { parsePolicy } from '../config/policy.js';
import type { Log } from '../log.js';
import type { ChatPort, Claims, Clock, ClusterCredentials, IncidentStore, Swarm } from '../ports.js';
import { renderPlainText } from '../render/plain-text.js';
import { composeWorkerParts } from './worker-root.js';

export function composeWatch(env: NodeJS.ProcessEnv = process.env, o: { clock?: Clock; timing?: WatchTiming } = {}) {
  const { params, deps, incidents, rollouts } = composeWorkerParts(env, 'watch', o.clock);
  // alert buttons are signed with a key from the bot token: this function's role can't read the signing secret
  return createWatch({ ...deps, incidents, rollouts, botToken: () => params.botToken(), ...(o.timing ? { timing: o.timing } : {}) });
}

/**
 * A watch over one cluster, `lab`, outside Lambda: credentials given, the
 * incidents in the given store, Slack replaced by `chat`. For the local
 * runner and the bench.
 */
/** where a local watch keeps its incidents, and claims each pass */
export interface WatchTables {
  incidents: IncidentStore;
  claims: Claims;
}

export function composeLocalWatch(o: { creds: ClusterCredentials; store: WatchTables; chat: ChatPort; log?: Log; graceMinutes: number; swarm?: Swarm }) {
  const policy = parsePolicy(
    JSON.stringify({ defaultCluster: 'lab', auditChannel: 'CLOCALAUDIT', roles: { viewer: [], operator: [], approver: [] }, clusters: { lab: { watch: { channel: 'CLOCALWATCH', graceMinutes: o.graceMinutes } } } }),
  );
  return createWatch({
    policies: { policy: async () => policy },
    credentials: { clusterCredentials: async () => o.creds, invalidate: () => undefined },
    swarmFor: (c) => o.swarm ?? new DockerSwarm(c),
    chat: o.chat,
    log: o.log ?? { info() {}, warn() {}, error() {}, appendKeys() {}, resetKeys() {} },
    clock: { now: () => new Date() },
    claims: o.store.claims,
    incidents: o.store.incidents,
    // the buttons are printed or dropped, never clicked: any key will do
    botToken: async () => 'local',
  });
}

/**
 * `npm start -- --watch-once`: one watch pass over the lab (or the swarm the
 * runner is pointed at), every post printed as plain text instead of sent to
 * Slack. No grace period: what is wrong now is said now.
 */
export async function runWatchOnce(creds: ClusterCredentials, store: WatchTables): Promise<{ output: string; ok: boolean }> {
  const out: string[] = [];
  let ts = 0;
  const print: ChatPort = {
    respond: async () => undefined,
    post: async (channel, r, o) => {
      out.push(`--- ${o?.threadTs ? `reply in thread ${o.threadTs}` : `post`} in #${channel} ---`, renderPlainText(r));
      return { ts: `${++ts}.000000` };
    },
    update: async (channel, at, r) => void out.push(`--- edit of ${at} in #${channel} ---`, renderPlainText(r)),
    upload: async (channel, file) => void out.push(`--- file ${file.filename} in #${channel} (not written) ---`),
  };
  const errors: string[] = [];
  const log = { info() {}, warn() {}, error: (message: string, fields?: unknown) => void errors.push(`${message} ${JSON.stringify(fields ?? {})}`), appendKeys() {}, resetKeys() {} };
  const [result] = await composeLocalWatch({ creds, store, chat: print, log, graceMinutes: 0 })({ id: `local-${Date.now()}` });
  if (!result?.said.length) out.push(`The watch found nothing to say about lab: ${result?.open ? `${result.open} incident(s) open` : 'all quiet'}.`);
  return { output: [...out, ...errors].join('\n') + '\n', ok: result?.outcome === 'checked' };
}
