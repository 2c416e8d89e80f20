/**
 * An Approve click or a Deny choice: the signed request is checked, then who
 * clicked, where, and whether someone decided first; an approval then runs
 * the request through the same path as any command, bound to what the
 * approver saw.
 */
import { hasRole } from '../config/policy.js';
import { DENY_REASONS, isDenyReason, verifyApproval } from '../domain/approval.js';
import { errorReply, reply, type Reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import type { DecisionJob } from '../jobs.js';
import { code } from '../render/escape.js';
import { throttle, type WorkerKit } from './worker-kit.js';
import { hhmm } from '../domain/time-format.js';
import type { Invocation, WorkerDeps } from './worker-types.js';

export async function handleDecision(kit: WorkerKit, deps: WorkerDeps, job: DecisionJob, attempt: string, invocation?: Invocation): Promise<void> {
  const { run, withinTime, failureReply, failureOutcome, respond, audit } = kit;
  const { log, chat, clock } = deps;
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
      { kind: 'text', text: `${code(`/swarm ${req.text}`)} for ${code(req.cluster)}, requested by <@${req.requester}>.` },
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
  let failure: ReturnType<typeof failureOutcome> | undefined;
  try {
    // the approval message itself shows the progress of what was approved
    const progress = (text: string) =>
      void decisionMessage(`Approved: ${req.text.split(' ').slice(0, 2).join(' ')} in progress`, 'info', [`Approved by <@${job.user}> at ${when}.`, `:hourglass_flowing_sand: ${text}`]);
    const out = await withinTime(
      invocation,
      run(
        policy,
        { text: req.text, user: req.requester, channel: req.channel, requestId: req.id },
        { request: req, approver: job.user },
        throttle(progress),
        // a rollout outliving this run goes on being shown in the approval message itself
        kit.changeHooks({ channel: job.channel, requestId: req.id, requester: req.requester, title: `Approved: ${req.text.split(' ').slice(0, 2).join(' ')}`, place: async () => ({ channel: job.channel, ts: job.messageTs }) }),
      ),
    );
    result = out.kind === 'answer' ? out.reply : errorReply('The approved request asked for approval again; nothing was changed.');
  } catch (err) {
    failure = failureOutcome(err);
    result = failureReply(err, { requestId: req.id, command: req.text, cluster: req.cluster, user: req.requester });
  }
  const ok = !failure && result.tone !== 'error';
  const headline = ok ? `Approved and done: ${result.title}` : failure?.unknown ? 'Approved, outcome unknown' : 'Approved, but it did not happen';
  await decisionMessage(headline, ok ? 'ok' : 'error', [`Approved by <@${job.user}> at ${when}.`], result.parts);
  await audit(policy, {
    ...event,
    outcome: ok ? 'succeeded' : failure?.outcome === 'refused' ? 'refused' : 'failed',
    detail: ok ? result.title : (failure?.detail ?? result.title),
    durationMs: Date.now() - started,
  });
}

