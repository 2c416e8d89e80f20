import { ACTIONS, checkActionTable } from '../actions/index.js';
import type { ActionContext } from '../actions/types.js';
import type { Audit } from '../audit.js';
import { parseCommand } from '../commands/parse.js';
import { requireRole } from '../config/policy.js';
import { errorReply, type Reply } from '../domain/reply.js';
import { describeError, isUserFacing, SwarmError } from '../errors.js';
import { Job, type CommandJob } from '../jobs.js';
import type { Log } from '../log.js';
import type { ChatPort, Clock, ClusterCredentials, CredentialStore, PolicyStore, SwarmPort } from '../ports.js';
import { renderBlockKit } from '../render/block-kit.js';

export interface WorkerDeps {
  policies: PolicyStore;
  credentials: CredentialStore;
  swarmFor: (creds: ClusterCredentials) => SwarmPort;
  chat: ChatPort;
  audit: Audit;
  log: Log;
  clock: Clock;
}

export type Worker = (payload: unknown) => Promise<void>;

export function createWorker(deps: WorkerDeps): Worker {
  checkActionTable();
  const { log, chat } = deps;

  async function runAction(job: CommandJob): Promise<Reply> {
    const parsed = parseCommand(job.text);
    const policy = await deps.policies.policy();
    // checked again here: the policy may have changed since the ingress looked
    requireRole(policy, job.user, parsed.spec.role, `run \`/swarm ${parsed.name}\``);
    const action = ACTIONS[parsed.name as keyof typeof ACTIONS];
    if (!action) throw new Error(`no action for ${parsed.name}`);
    const run = async () => {
      const creds = await deps.credentials.clusterCredentials(job.cluster);
      const ctx: ActionContext = {
        swarm: deps.swarmFor(creds),
        policy,
        cluster: job.cluster,
        user: job.user,
        requestId: job.requestId,
        dryRun: Boolean(parsed.args['dry-run']),
        clock: deps.clock,
      };
      return action(ctx, parsed.args);
    };
    try {
      return await run();
    } catch (err) {
      // credentials may have been rotated in SSM since we cached them: drop the cache once
      if (err instanceof SwarmError && err.code === 'TLS') {
        deps.credentials.invalidate(job.cluster);
        return run();
      }
      throw err;
    }
  }

  async function handleCommand(job: CommandJob): Promise<void> {
    const started = Date.now();
    let result: Reply;
    try {
      result = await runAction(job);
      log.info('command done', { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user, ms: Date.now() - started });
    } catch (err) {
      if (isUserFacing(err)) {
        log.warn('command refused', { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user, error: describeError(err) });
        result = errorReply(err.message);
      } else {
        log.error('command failed', { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user, error: describeError(err) });
        result = errorReply(`Something went wrong on our side. Quote request id \`${job.requestId}\` to your platform team.`);
      }
    }
    await chat.respond(job.responseUrl, { response_type: result.visibility, ...renderBlockKit(result) });
  }

  return async (payload) => {
    const parsed = Job.safeParse(payload);
    if (!parsed.success) {
      log.error('rejected a malformed job', { issues: parsed.error.issues.slice(0, 5) });
      return;
    }
    const job = parsed.data;
    if (job.kind === 'audit') {
      const policy = await deps.policies.policy();
      await deps.audit.record(job.event, policy.auditChannel);
      return;
    }
    await handleCommand(job);
  };
}
