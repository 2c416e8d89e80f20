import { randomUUID } from 'node:crypto';
import { ACTIONS, checkActionTable } from '../actions/index.js';
import type { ActionContext } from '../actions/types.js';
import { parseCommand, type ParsedCommand } from '../commands/parse.js';
import { hasRole, requireRole, type Policy } from '../config/policy.js';
import { APPROVE_ACTION, DENY_ACTION, DENY_REASONS, isDenyReason, signApproval, verifyApproval } from '../domain/approval.js';
import { errorReply, reply, type Reply } from '../domain/reply.js';
import { describeError, isUserFacing, SwarmError } from '../errors.js';
import { Job, type AuditEvent, type CommandJob, type DecisionJob } from '../jobs.js';
import type { ChatPort, SwarmPort } from '../ports.js';
import type { SwarmJobDeps } from './deps.js';
import { renderBlockKit } from '../render/block-kit.js';

export interface WorkerDeps extends SwarmJobDeps {
  chat: ChatPort;
  /** the Slack signing secret: approval buttons are signed with a key derived from it */
  signingSecret: () => Promise<string>;
}

export type Worker = (payload: unknown) => Promise<void>;

interface Execution {
  /** this delivery of the job */
  attempt: string;
  text: string;
  cluster: string;
  user: string;
  requestId: string;
  approval?: { approver: string };
}

const hhmm = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

export function createWorker(deps: WorkerDeps): Worker {
  checkActionTable();
  const { log, chat, clock } = deps;

  async function swarmOf(cluster: string) {
    return deps.swarmFor(await deps.credentials.clusterCredentials(cluster));
  }

  /** Parses again (zod at every boundary), re-checks the role, and runs the action. */
  async function execute(x: Execution, policy: Policy): Promise<{ result: Reply; parsed: ParsedCommand }> {
    const parsed = parseCommand(x.text);
    // checked again here: the policy may have changed since the ingress looked
    requireRole(policy, x.user, parsed.spec.role, `run \`/swarm ${parsed.name}\``);
    const action = ACTIONS[parsed.name as keyof typeof ACTIONS];
    if (!action) throw new Error(`no action for ${parsed.name}`);
    const run = async () => {
      const ctx: ActionContext = {
        swarm: parsed.spec.offline ? offlineSwarm : await swarmOf(x.cluster),
        policy,
        cluster: x.cluster,
        user: x.user,
        requestId: x.requestId,
        attempt: x.attempt,
        dryRun: Boolean(parsed.args['dry-run']),
        clock,
        ...(x.approval ? { approval: x.approval } : {}),
      };
      return action(ctx, parsed.args);
    };
    try {
      return { result: await run(), parsed };
    } catch (err) {
      // credentials may have been replaced in SSM since we cached them: drop the cache once
      if (err instanceof SwarmError && err.code === 'TLS') {
        deps.credentials.invalidate(x.cluster);
        return { result: await run(), parsed };
      }
      throw err;
    }
  }

  function failureReply(err: unknown, ctx: { requestId: string; command: string; cluster?: string; user: string }): Reply {
    if (err instanceof SwarmError && err.code === 'QUORUM_LOST') {
      log.warn('command refused: no leader', { ...ctx, error: describeError(err) });
      return errorReply(
        `The swarm${ctx.cluster ? ` \`${ctx.cluster}\`` : ''} has no leader (quorum lost), so it can't be changed or fully read right now; running services keep running. ` +
          'Nothing was changed. Type `/swarm status` to see which managers are missing.',
        'No leader: nothing was changed',
      );
    }
    if (isUserFacing(err)) {
      log.warn('command refused', { ...ctx, error: describeError(err) });
      return errorReply(err.message);
    }
    log.error('command failed', { ...ctx, error: describeError(err) });
    return errorReply(`Something went wrong on our side. Quote request id \`${ctx.requestId}\` to your platform team.`);
  }

  /** Delivery to Slack never changes what happened or what is audited: a failure is logged. */
  const respond = async (url: string, r: Reply, extra: { replace_original?: boolean } = {}) => {
    try {
      await chat.respond(url, { response_type: r.visibility, ...extra, ...renderBlockKit(r) });
    } catch (err) {
      log.error('could not post to the response URL', { error: describeError(err) });
    }
  };

  async function audit(policy: Policy | undefined, event: Omit<AuditEvent, 'at'>) {
    const p = policy ?? (await deps.policies.policy());
    await deps.audit.record({ ...event, at: clock.now().toISOString() }, p.auditChannel);
  }

  async function requestApproval(job: CommandJob, request: Reply, policy: Policy): Promise<void> {
    const expires = new Date(clock.now().getTime() + policy.approvalTtlMinutes * 60_000);
    const value = signApproval(
      { v: 1, id: job.requestId, text: job.text, cluster: job.cluster, requester: job.user, channel: job.channel, exp: expires.getTime() },
      await deps.signingSecret(),
    );
    const message: Reply = {
      ...request,
      parts: [
        ...request.parts,
        {
          kind: 'context',
          text: `Request \`${job.requestId}\` · expires at ${hhmm(expires)} (${policy.approvalTtlMinutes} min) · only an approver other than <@${job.user}> can approve`,
        },
        {
          kind: 'buttons',
          // the signed request rides in Approve's value; the Deny menu's click carries the message, and so the value too
          buttons: [{ label: 'Approve', actionId: APPROVE_ACTION, value, style: 'primary' }],
          select: {
            placeholder: 'Deny…',
            actionId: DENY_ACTION,
            options: Object.entries(DENY_REASONS).map(([key, label]) => ({ label, value: key })),
          },
        },
      ],
    };
    const { ts } = await chat.postMessage(job.channel, renderBlockKit(message));
    // kept in the swarm, so that a request nobody answers is still closed and audited when it expires
    await (await swarmOf(job.cluster))
      .recordPending({ id: job.requestId, cluster: job.cluster, channel: job.channel, ts, exp: expires.getTime(), text: job.text, requester: job.user })
      .catch((err) => log.warn('could not record the pending approval', { requestId: job.requestId, error: describeError(err) }));
    await respond(
      job.responseUrl,
      reply('Approval requested', 'info', [
        { kind: 'text', text: `An approver must approve \`/swarm ${job.text}\` in this channel before ${hhmm(expires)}. Nothing has changed yet.` },
      ], 'ephemeral'),
    );
  }

  async function handleCommand(job: CommandJob, attempt: string): Promise<void> {
    const started = Date.now();
    const logCtx = { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user };
    let policy: Policy | undefined;
    let parsed: ParsedCommand | undefined;
    try {
      policy = await deps.policies.policy();
      const out = await execute({ ...job, attempt }, policy);
      parsed = out.parsed;
      const dryRun = Boolean(parsed.args['dry-run']);
      if (parsed.spec.needsApproval && !dryRun && out.result.approvalRequest) {
        await requestApproval(job, out.result, policy);
        await audit(policy, { ...base(job), outcome: 'requested', detail: out.result.title, durationMs: Date.now() - started });
        return;
      }
      log.info('command done', { ...logCtx, ms: Date.now() - started });
      if (parsed.spec.mutating) {
        await audit(policy, { ...base(job), outcome: dryRun ? 'dry-run' : 'succeeded', detail: out.result.title, durationMs: Date.now() - started });
      }
      await respond(job.responseUrl, out.result);
    } catch (err) {
      const failure = failureReply(err, logCtx);
      const mutating = (parsed ?? tryParse(job.text))?.spec.mutating;
      if (mutating) {
        await audit(policy, {
          ...base(job),
          // "may or may not have happened" is no refusal: it is audited as a failure to look into
          outcome: isUserFacing(err) && !(err instanceof SwarmError && err.code === 'UNCERTAIN') ? 'refused' : 'failed',
          detail: isUserFacing(err) ? err.message : 'internal error (see logs)',
          durationMs: Date.now() - started,
        }).catch((e) => log.error('audit failed', { requestId: job.requestId, error: describeError(e) }));
      }
      await respond(job.responseUrl, failure);
    }
  }

  async function handleDecision(job: DecisionJob, attempt: string): Promise<void> {
    const started = Date.now();
    const policy = await deps.policies.policy();
    const req = verifyApproval(job.value, await deps.signingSecret());
    const tell = (text: string, tone: Reply['tone'] = 'warn') =>
      respond(job.responseUrl, reply('Approval', tone, [{ kind: 'text', text }], 'ephemeral'), { replace_original: false });

    if (!req) {
      await tell('That button was not issued by swarm-ops, or its value was changed. Nothing was done.', 'error');
      await audit(policy, { requestId: job.requestId, user: job.user, command: 'approval (forged)', outcome: 'refused', detail: 'A button value with a bad signature was refused.' });
      return;
    }
    const event = { requestId: req.id, user: req.requester, command: req.text, cluster: req.cluster, approver: job.user };
    const refuse = async (why: string) => {
      await tell(why);
      // the person who clicked is the one refused
      await audit(policy, { requestId: req.id, user: job.user, command: req.text, cluster: req.cluster, outcome: 'refused', detail: `${job.decision} refused: ${why}` });
    };
    const isApprover = hasRole(policy, job.user, 'approver');
    if (job.decision === 'approve' && job.user === req.requester) return refuse('You can\'t approve your own request; another approver must.');
    if (job.decision === 'approve' && !isApprover) return refuse('Only an approver can approve this request. Approvers are listed under `roles.approver` in the policy.');
    if (job.decision === 'deny' && !isApprover && job.user !== req.requester) return refuse('Only an approver (or the requester, to withdraw it) can deny this request.');

    const decisionMessage = async (title: string, tone: Reply['tone'], lines: string[], more: Reply['parts'] = []) => {
      const message = reply(title, tone, [
        { kind: 'text', text: `\`/swarm ${req.text}\` on \`${req.cluster}\`, requested by <@${req.requester}>.` },
        { kind: 'text', text: lines.join('\n') },
        ...more,
        { kind: 'context', text: `Request \`${req.id}\`` },
      ]);
      try {
        await chat.update(job.channel, job.messageTs, renderBlockKit(message));
      } catch (err) {
        // the decision stands and is audited even if Slack can't show it
        log.error('could not update the approval message', { requestId: req.id, error: describeError(err) });
      }
    };

    const now = clock.now();
    const swarm = await swarmOf(req.cluster);
    const forget = () => swarm.forgetPending(req.id).catch((err) => log.warn('could not forget the pending approval', { requestId: req.id, error: describeError(err) }));
    if (now.getTime() > req.exp) {
      // closed once, whether by this click or by the expiry sweep
      if (await swarm.claimOperation({ key: `decision-${req.id}`, attempt, description: 'expired' }).catch(() => true)) {
        await decisionMessage('Expired', 'warn', [`Expired at ${hhmm(new Date(req.exp))}; nothing was done. Run the command again to ask anew.`]);
        await audit(policy, { ...event, outcome: 'expired', detail: `${job.decision} clicked after expiry by <@${job.user}>` });
        await forget();
      }
      await tell(`This request expired at ${hhmm(new Date(req.exp))}. Nothing was done.`);
      return;
    }
    // the first decision wins, also against a second approver clicking at the same moment
    // (a decision the swarm can't record is refused, deny included: an unrecorded denial could be overtaken by an approval)
    const first = await swarm.claimOperation({ key: `decision-${req.id}`, attempt, description: `${job.decision} by ${job.user}` });
    if (!first) {
      await tell('This request has already been decided (or has expired); nothing was done again.', 'info');
      log.info('repeated decision ignored', { requestId: req.id, user: job.user, decision: job.decision });
      return;
    }
    await forget();
    const when = `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    if (job.decision === 'deny') {
      const why = isDenyReason(job.reason) ? DENY_REASONS[job.reason] : 'no reason given';
      const who = job.user === req.requester ? 'Withdrawn by the requester' : `Denied by <@${job.user}>`;
      await decisionMessage('Denied', 'warn', [`${who} at ${when}: ${why}. Nothing was changed.`]);
      await audit(policy, { ...event, outcome: 'denied', detail: `${who} at ${when}: ${why}. Nothing changed.`, durationMs: Date.now() - started });
      return;
    }
    await audit(policy, { ...event, outcome: 'approved', detail: `Approved by <@${job.user}> at ${when}.` });
    let result: Reply;
    let ok = false;
    try {
      result = (await execute({ attempt, text: req.text, cluster: req.cluster, user: req.requester, requestId: req.id, approval: { approver: job.user } }, policy)).result;
      ok = result.tone !== 'error';
    } catch (err) {
      result = failureReply(err, { requestId: req.id, command: req.text, cluster: req.cluster, user: req.requester });
    }
    await decisionMessage(ok ? `Approved and done: ${result.title}` : 'Approved, but it failed', ok ? 'ok' : 'error', [`Approved by <@${job.user}> at ${when}.`], result.parts);
    await audit(policy, { ...event, outcome: ok ? 'succeeded' : 'failed', detail: result.title + (ok ? '' : `: ${textOf(result)}`), durationMs: Date.now() - started });
  }

  return async (payload) => {
    const parsed = Job.safeParse(payload);
    if (!parsed.success) {
      log.error('rejected a malformed job', { issues: parsed.error.issues.slice(0, 5) });
      return;
    }
    const job = parsed.data;
    // each delivery is its own attempt, so a repeated delivery finds its work already claimed
    const attempt = randomUUID();
    switch (job.kind) {
      case 'audit':
        return audit(undefined, job.event);
      case 'decision':
        return handleDecision(job, attempt).catch(async (err) => {
          const r = failureReply(err, { requestId: job.requestId, command: 'decision', user: job.user });
          await respond(job.responseUrl, r, { replace_original: false });
        });
      case 'command':
        return handleCommand(job, attempt);
    }
  };
}

/** What offline commands (help) get instead of a swarm: they must not touch it. */
const offlineSwarm = new Proxy({} as SwarmPort, {
  get: (_, prop) => {
    if (prop === 'then') return undefined;
    throw new Error(`an offline command used the swarm (${String(prop)})`);
  },
});

const base = (job: CommandJob) => ({ requestId: job.requestId, user: job.user, command: job.text.slice(0, 200), cluster: job.cluster });

function tryParse(text: string): ParsedCommand | undefined {
  try {
    return parseCommand(text);
  } catch {
    return undefined;
  }
}

function textOf(r: Reply): string {
  return r.parts.map((p) => (p.kind === 'text' ? p.text : '')).join(' ').trim();
}
