import { randomUUID } from 'node:crypto';
import { checkActionTable } from '../actions/index.js';
import { tryParseCommand } from '../commands/parse.js';
import type { Policy } from '../config/policy.js';
import { APPROVE_ACTION, DENY_ACTION, DENY_REASONS, signApproval } from '../domain/approval.js';
import { verifyJob } from '../domain/job-signature.js';
import { reply, type Reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import { Job, type CommandJob } from '../jobs.js';
import type { JobLedger } from '../ports.js';
import { code } from '../render/escape.js';
import type { Invocation, Worker, WorkerDeps } from './worker-types.js';
import type { Outcome } from './run-command.js';
import { handleDecision } from './decisions.js';
import { createWorkerKit } from './worker-kit.js';
import { hhmm } from '../domain/time-format.js';

export function createWorker(deps: WorkerDeps): Worker {
  checkActionTable();
  const { log, chat, clock } = deps;
  const kit = createWorkerKit(deps);
  const { run, withinTime, stepLog, failureReply, failureOutcome, progressMessage, changeHooks, respond, audit } = kit;

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
    const title = `Working on /swarm ${job.command}`;
    const progress = progressMessage(job.channel, title);
    try {
      policy = await deps.policies.policy();
      const hooks = changeHooks({ channel: job.channel, requestId: job.requestId, requester: job.user, title, place: progress.place });
      // the steps it reports: shown as progress; when time is nearly up, the command stops at the next one
      const steps = stepLog(progress.report);
      const out = await withinTime(
        invocation,
        run(policy, { text: job.text, user: job.user, channel: job.channel, team: job.team, requestId: job.requestId }, undefined, steps.report, hooks),
        steps,
      );
      if (out.kind === 'approval-needed') {
        await requestApproval(job, out, policy);
        await audit(policy, { ...event, outcome: 'requested', detail: out.request.title, durationMs: Date.now() - started });
        return;
      }
      log.info('command done', { ...logCtx, ms: Date.now() - started });
      if (out.audit) {
        await audit(policy, { ...event, outcome: out.audit === 'no-op' ? 'succeeded' : out.audit, detail: out.reply.title, durationMs: Date.now() - started });
      }
      // a result in the channel replaces the progress message, if there was one
      if (!(out.reply.visibility === 'in_channel' && (await progress.finish(out.reply)))) await respond(job.responseUrl, out.reply);
      // a picture that goes with the answer (an overlay check's heatmap) follows it in the channel
      for (const file of out.reply.attachments ?? []) await chat.upload(job.channel, file).catch((err) => log.warn('could not upload a file', { file: file.filename, error: describeError(err) }));
    } catch (err) {
      if (mutating) await audit(policy, { ...event, ...failureOutcome(err), durationMs: Date.now() - started });
      // the person is told; a progress message in the channel says it too, rather than "working" forever
      const failure = failureReply(err, logCtx);
      await progress.finish({ ...failure, visibility: 'in_channel' });
      await respond(job.responseUrl, failure);
    }
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
          return handleDecision(kit, deps, job, attempt, invocation).catch(async (err) => {
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
