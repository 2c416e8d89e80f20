import { randomUUID } from 'node:crypto';
import { checkActionTable } from '../actions/index.js';
import { tryParseCommand } from '../commands/parse.js';
import { hasRole, resolveCluster, type Policy } from '../config/policy.js';
import { APPROVE_ACTION, DENY_ACTION, DENY_REASONS, isDenyReason, signApproval, verifyApproval, type VerifiedApproval } from '../domain/approval.js';
import { verifyJob } from '../domain/job-signature.js';
import { errorReply, reply, type Reply } from '../domain/reply.js';
import { describeError, isUserFacing, SwarmError } from '../errors.js';
import { Job, type AuditEvent, type CommandJob, type DecisionJob } from '../jobs.js';
import type { IncidentStore, JobLedger } from '../ports.js';
import { code } from '../render/escape.js';
import { swarmOf, type SwarmJobDeps } from './deps.js';
import { runCommand, type CommandRequest, type Outcome } from './run-command.js';

export interface WorkerDeps extends SwarmJobDeps {
  /** the Slack signing secret: jobs and approval buttons are signed with keys derived from it */
  signingSecret: () => Promise<string>;
  /** a job delivered twice acts, and is audited, once */
  ledger: JobLedger;
  /** the watch's incidents and mutes, for `/swarm watch` */
  incidents?: IncidentStore;
}

/** The Lambda invocation: how long it may still run (absent: no limit), and its context for the ledger. */
export interface Invocation {
  remainingMs?: () => number;
  lambdaContext?: unknown;
}

export type Worker = (payload: unknown, invocation?: Invocation) => Promise<void>;

/** Answering "outcome unknown" and auditing it takes a moment: stop waiting this long before Lambda's end. */
const SAFETY_MS = 2500;
/** Slack allows about one message a second per channel: progress is shown at most this often */
const PROGRESS_EVERY_MS = 1500;

const hhmm = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

/** At most one call every PROGRESS_EVERY_MS; the ones between are dropped (a later phase says more). */
function throttle(fn: (text: string) => void): (text: string) => void {
  let last = 0;
  return (text) => {
    if (Date.now() - last < PROGRESS_EVERY_MS) return;
    last = Date.now();
    fn(text);
  };
}

class OutOfTime extends Error {
  override name = 'OutOfTime';
}

export function createWorker(deps: WorkerDeps): Worker {
  checkActionTable();
  const { log, chat, clock } = deps;
  const swarmFor = swarmOf(deps);

  /** One command through the shared path; a TLS failure drops the cached credentials once (they may have been replaced). */
  async function run(policy: Policy, req: CommandRequest, approval?: { request: VerifiedApproval; approver: string }, progress?: (text: string) => void): Promise<Outcome> {
    const runDeps = { swarmFor, history: deps.history, claims: deps.claims, unlockKeys: deps.unlockKeys, clock, progress: progress ?? (() => undefined), ...(deps.incidents ? { incidents: deps.incidents } : {}) };
    try {
      return await runCommand(runDeps, policy, req, approval);
    } catch (err) {
      if (!(err instanceof SwarmError && err.code === 'TLS')) throw err;
      deps.credentials.invalidate(resolveCluster(policy, req.channel, tryParseCommand(req.text)?.args.cluster));
      return runCommand(runDeps, policy, req, approval);
    }
  }

  /** Races the work against the function's own end: an answer is always given, never a silent kill. */
  async function withinTime<T>(invocation: Invocation | undefined, work: Promise<T>): Promise<T> {
    const left = invocation?.remainingMs?.();
    if (left === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const out = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OutOfTime()), Math.max(0, left - SAFETY_MS));
    });
    try {
      return await Promise.race([work, out]);
    } finally {
      clearTimeout(timer);
    }
  }

  function failureReply(err: unknown, ctx: { requestId: string; command: string; cluster?: string; user: string }): Reply {
    if (err instanceof OutOfTime) {
      log.error('command outlived the function', ctx);
      return errorReply(
        `\`/swarm ${ctx.command}\` did not finish in the time this function has, so its outcome is unknown. Check with \`/swarm status\` before trying again. Request \`${ctx.requestId}\`.`,
        'Outcome unknown',
      );
    }
    if (err instanceof SwarmError && err.code === 'QUORUM_LOST') {
      log.warn('command refused: no leader', { ...ctx, error: describeError(err) });
      return errorReply(
        `The swarm${ctx.cluster ? ` ${code(ctx.cluster)}` : ''} has no leader (quorum lost), so it can't be changed or fully read right now; running services keep running. ` +
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

  /**
   * A long action's phases shown in Slack: the first one posts a message
   * (or, for an approved request, updates the approval message), later ones
   * edit it, at most every few seconds; the result then replaces it.
   */
  function progressMessage(channel: string, title: string, existingTs?: string) {
    let ts = existingTs;
    let chain: Promise<void> = Promise.resolve();
    const show = (r: Reply) =>
      (chain = chain
        .then(async () => {
          if (ts) await chat.update(channel, ts, r);
          else ts = (await chat.post(channel, r)).ts;
        })
        .catch((err) => log.warn('could not show progress', { error: describeError(err) })));
    return {
      report: throttle((text) => void show(reply(title, 'info', [{ kind: 'text', text: `:hourglass_flowing_sand: ${text}` }]))),
      /** the result in place of the progress; false when no progress was ever shown */
      async finish(result: Reply): Promise<boolean> {
        await chain;
        if (!ts || ts === existingTs) return false;
        await show(result);
        return true;
      },
    };
  }

  /** How a failure is audited: "may or may not have happened" is no refusal but a failure to look into. */
  function failureOutcome(err: unknown): { outcome: AuditEvent['outcome']; detail: string } {
    if (err instanceof OutOfTime) return { outcome: 'failed', detail: 'Outcome unknown: the function ran out of time. Check with /swarm status.' };
    const uncertain = err instanceof SwarmError && err.code === 'UNCERTAIN';
    return { outcome: isUserFacing(err) && !uncertain ? 'refused' : 'failed', detail: isUserFacing(err) ? err.message : 'internal error (see logs)' };
  }

  /** Delivery to Slack never changes what happened or what is audited: a failure is logged. */
  const respond = async (url: string, r: Reply, replaceOriginal?: boolean) => {
    try {
      await chat.respond(url, r, replaceOriginal === undefined ? {} : { replaceOriginal });
    } catch (err) {
      log.error('could not post to the response URL', { error: describeError(err) });
    }
  };

  async function audit(policy: Policy | undefined, event: Omit<AuditEvent, 'at'>) {
    const p = policy ?? (await deps.policies.policy());
    await deps.audit
      .record({ ...event, at: clock.now().toISOString() }, p)
      .catch((e) => log.error('audit failed', { requestId: event.requestId, error: describeError(e) }));
  }

  async function requestApproval(job: CommandJob, out: Extract<Outcome, { kind: 'approval-needed' }>, policy: Policy): Promise<void> {
    const expires = new Date(clock.now().getTime() + policy.approvalTtlMinutes * 60_000);
    const value = signApproval(
      {
        v: 1,
        id: job.requestId,
        text: job.text,
        cluster: out.cluster,
        requester: job.user,
        channel: job.channel,
        exp: expires.getTime(),
        ...(out.binding ? { binding: out.binding } : {}),
      },
      await deps.signingSecret(),
    );
    const message: Reply = {
      ...out.request,
      parts: [
        ...out.request.parts,
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
    const { ts } = await chat.post(job.channel, message);
    // kept in the table, so that a request nobody answers is still closed and audited when it expires
    await deps.pending
      .record({ id: job.requestId, cluster: out.cluster, channel: job.channel, ts, exp: expires.getTime(), text: job.text, requester: job.user })
      .catch((err) => log.warn('could not record the pending approval', { requestId: job.requestId, error: describeError(err) }));
    await respond(
      job.responseUrl,
      reply('Approval requested', 'info', [
        { kind: 'text', text: `An approver must approve ${code(`/swarm ${job.text}`)} in this channel before ${hhmm(expires)}. Nothing has changed yet.` },
      ], 'ephemeral'),
    );
  }

  async function handleCommand(job: CommandJob, invocation?: Invocation): Promise<void> {
    const started = Date.now();
    const logCtx = { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user };
    let policy: Policy | undefined;
    const mutating = tryParseCommand(job.text)?.spec.mutating ?? false;
    const event = { requestId: job.requestId, user: job.user, command: job.text.slice(0, 200), cluster: job.cluster };
    try {
      policy = await deps.policies.policy();
      const progress = progressMessage(job.channel, `Working on /swarm ${job.command}`);
      const out = await withinTime(
        invocation,
        run(policy, { text: job.text, user: job.user, channel: job.channel, team: job.team, requestId: job.requestId }, undefined, progress.report),
      );
      if (out.kind === 'approval-needed') {
        await requestApproval(job, out, policy);
        await audit(policy, { ...event, outcome: 'requested', detail: out.request.title, durationMs: Date.now() - started });
        return;
      }
      log.info('command done', { ...logCtx, ms: Date.now() - started });
      if (out.audit) {
        await audit(policy, { ...event, outcome: out.audit === 'dry-run' ? 'dry-run' : 'succeeded', detail: out.reply.title, durationMs: Date.now() - started });
      }
      // a result in the channel replaces the progress message, if there was one
      if (!(out.reply.visibility === 'in_channel' && (await progress.finish(out.reply)))) await respond(job.responseUrl, out.reply);
    } catch (err) {
      if (mutating) await audit(policy, { ...event, ...failureOutcome(err), durationMs: Date.now() - started });
      await respond(job.responseUrl, failureReply(err, logCtx));
    }
  }

  async function handleDecision(job: DecisionJob, attempt: string, invocation?: Invocation): Promise<void> {
    const started = Date.now();
    const policy = await deps.policies.policy();
    const req = verifyApproval(job.value, await deps.signingSecret());
    const tell = (text: string, tone: Reply['tone'] = 'warn') => respond(job.responseUrl, reply('Approval', tone, [{ kind: 'text', text }], 'ephemeral'), false);

    if (!req) {
      await tell('That button was not issued by swarm-ops, or its value was changed. Nothing was done.', 'error');
      await audit(policy, { requestId: job.requestId, user: job.user, command: 'decision (forged button)', outcome: 'refused', detail: 'A button value with a bad signature was refused.' });
      return;
    }
    const event = { requestId: req.id, user: req.requester, command: req.text, cluster: req.cluster, approver: job.user };
    const refuse = async (why: string) => {
      await tell(why);
      // the person who clicked is the one refused
      await audit(policy, { requestId: req.id, user: job.user, command: req.text, cluster: req.cluster, outcome: 'refused', detail: `${job.decision === 'approve' ? 'Approval' : 'Denial'} refused: ${why}` });
    };
    if (policy.teamId && job.team && job.team !== policy.teamId) return refuse('This swarm-ops serves another Slack workspace.');
    // a signed request copied into another channel is not approved there
    if (job.channel !== req.channel) return refuse('This request belongs to another channel; decide it where it was asked.');
    const isApprover = hasRole(policy, job.user, 'approver', req.cluster);
    if (job.decision === 'approve' && job.user === req.requester) return refuse('You can\'t approve your own request; another approver must.');
    if (job.decision === 'approve' && !isApprover) return refuse(`Only an approver of ${code(req.cluster)} can approve this request. Approvers are listed under \`roles.approver\` (or the cluster's own \`roles\`) in the policy.`);
    if (job.decision === 'deny' && !isApprover && job.user !== req.requester) return refuse('Only an approver (or the requester, to withdraw it) can deny this request.');

    const decisionMessage = async (title: string, tone: Reply['tone'], lines: string[], more: Reply['parts'] = []) => {
      const message = reply(title, tone, [
        { kind: 'text', text: `${code(`/swarm ${req.text}`)} on ${code(req.cluster)}, requested by <@${req.requester}>.` },
        { kind: 'text', text: lines.join('\n') },
        ...more,
        { kind: 'context', text: `Request \`${req.id}\`` },
      ]);
      try {
        await chat.update(job.channel, job.messageTs, message);
      } catch (err) {
        // the decision stands and is audited even if Slack can't show it
        log.error('could not update the approval message', { requestId: req.id, error: describeError(err) });
      }
    };

    const now = clock.now();
    const forget = () => deps.pending.forget(req.id).catch((err) => log.warn('could not forget the pending approval', { requestId: req.id, error: describeError(err) }));
    // the first decision wins, also against a second approver clicking at the same moment or the expiry sweep;
    // a decision the table can't record is refused, deny included: an unrecorded denial could be overtaken
    const expired = now.getTime() > req.exp;
    const first = await deps.claims.claim(`decision#${req.id}`, attempt, { note: expired ? 'expired' : `${job.decision} by ${job.user}` });
    if (expired) {
      if (first) {
        await decisionMessage('Expired', 'warn', [`Expired at ${hhmm(new Date(req.exp))}; nothing was done. Run the command again to ask anew.`]);
        await audit(policy, { ...event, outcome: 'expired', detail: `${job.decision} clicked after expiry by <@${job.user}>` });
        await forget();
      }
      await tell(`This request expired at ${hhmm(new Date(req.exp))}. Nothing was done.`);
      return;
    }
    if (!first) {
      await tell('This request has already been decided (or has expired); nothing was done again.', 'info');
      log.info('repeated decision ignored', { requestId: req.id, user: job.user, decision: job.decision });
      return;
    }
    await forget();
    const when = `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    if (job.decision === 'deny') {
      const why = isDenyReason(job.reason) ? DENY_REASONS[job.reason] : 'no reason given';
      const withdrawn = job.user === req.requester;
      const line = withdrawn ? `Withdrawn by the requester at ${when}. Nothing was changed.` : `Denied by <@${job.user}> at ${when}: ${why}. Nothing was changed.`;
      await decisionMessage(withdrawn ? 'Withdrawn' : 'Denied', 'warn', [line]);
      await audit(policy, { ...event, outcome: 'denied', detail: line, durationMs: Date.now() - started });
      return;
    }
    await audit(policy, { ...event, outcome: 'approved', detail: `Approved by <@${job.user}> at ${when}.` });
    let result: Reply;
    let failure: { outcome: AuditEvent['outcome']; detail: string } | undefined;
    try {
      // the approval message itself shows the progress of what was approved
      const progress = (text: string) =>
        void decisionMessage(`Approved: ${req.text.split(' ').slice(0, 2).join(' ')} in progress`, 'info', [`Approved by <@${job.user}> at ${when}.`, `:hourglass_flowing_sand: ${text}`]);
      const out = await withinTime(
        invocation,
        run(policy, { text: req.text, user: req.requester, channel: req.channel, requestId: req.id }, { request: req, approver: job.user }, throttle(progress)),
      );
      result = out.kind === 'answer' ? out.reply : errorReply('The approved request asked for approval again; nothing was changed.');
    } catch (err) {
      failure = failureOutcome(err);
      result = failureReply(err, { requestId: req.id, command: req.text, cluster: req.cluster, user: req.requester });
    }
    const ok = !failure && result.tone !== 'error';
    await decisionMessage(ok ? `Approved and done: ${result.title}` : 'Approved, but it did not happen', ok ? 'ok' : 'error', [`Approved by <@${job.user}> at ${when}.`], result.parts);
    await audit(policy, {
      ...event,
      outcome: ok ? 'succeeded' : failure?.outcome === 'refused' ? 'refused' : 'failed',
      detail: ok ? result.title : (failure?.detail ?? result.title),
      durationMs: Date.now() - started,
    });
  }

  return async (payload, invocation) => {
    // only jobs the ingress issued, signed and fresh; a refusal is logged, never posted (the URL may be anyone's)
    const check = verifyJob(payload, await deps.signingSecret(), clock.now());
    if (!check.ok) {
      log.error('refused a job that the ingress did not issue', { why: check.why });
      return;
    }
    const parsed = Job.safeParse(check.job);
    if (!parsed.success) {
      log.error('rejected a malformed job', { issues: parsed.error.issues.slice(0, 5) });
      return;
    }
    const job = parsed.data;
    // each delivery is its own attempt: a claim made by an earlier attempt belongs to someone else
    const attempt = randomUUID();
    const work = async () => {
      switch (job.kind) {
        case 'audit':
          return audit(undefined, job.event);
        case 'decision':
          return handleDecision(job, attempt, invocation).catch(async (err) => {
            await respond(job.responseUrl, failureReply(err, { requestId: job.requestId, command: 'decision', user: job.user }), false);
          });
        case 'command':
          return handleCommand(job, invocation);
      }
    };
    const key = job.kind === 'audit' ? `audit#${job.event.requestId}#${job.event.outcome}` : `${job.kind}#${job.requestId}`;
    // every line of this job carries who and what, without passing them around
    log.appendKeys(
      job.kind === 'command'
        ? { requestId: job.requestId, command: job.command, cluster: job.cluster, user: job.user }
        : job.kind === 'decision'
          ? { requestId: job.requestId, command: `decision ${job.decision}`, user: job.user }
          : { requestId: job.event.requestId, command: 'audit' },
    );
    let done: Awaited<ReturnType<JobLedger['once']>>;
    try {
      done = await deps.ledger.once(key, work, invocation ?? {});
    } finally {
      log.resetKeys();
    }
    if (done === 'repeat') log.info('repeated delivery of a job ignored', { key });
    if (done === 'in-progress') {
      log.warn('a job arrived again while it still runs', { key });
      if (job.kind !== 'audit') {
        await respond(
          job.responseUrl,
          reply('Already running', 'info', [{ kind: 'text', text: `Request \`${job.requestId}\` is still being worked on; this second delivery was not run.` }], 'ephemeral'),
          job.kind === 'decision' ? false : undefined,
        );
      }
    }
  };
}
