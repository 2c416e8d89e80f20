/**
 * The worker's on-failure destination: no request ends in silence. When a
 * worker run throws, runs out of time or never starts, Lambda hands this
 * function the job and what happened; it tells the person (at the job's
 * response_url, once the job's signature checks) and the audit channel.
 *
 * What Lambda sends a function destination after an asynchronous invocation
 * failed (one JSON object):
 *
 *   version            "1.0"
 *   timestamp          when the invocation was given up, ISO 8601
 *   requestContext     requestId (the failed invocation's AWS request id), functionArn (the worker's,
 *                      with its qualifier), condition, approximateInvokeCount (how often it ran)
 *                      condition is "RetriesExhausted" when the function ran and failed (an error thrown,
 *                      or killed at its time limit) and no retry was left (the worker has none), or
 *                      "EventAgeExceeded" when it never ran in time (throttled, queued past maximumEventAge)
 *   requestPayload     the event the worker was invoked with: here the signed job, untouched
 *   responseContext    when it ran: statusCode (200), executedVersion ("$LATEST"), functionError ("Unhandled")
 *   responsePayload    when it ran: the error, { errorType, errorMessage, trace } for a throw; for a
 *                      time-out errorMessage reads "... Task timed out after 900.00 seconds" (errorType
 *                      "Sandbox.Timedout" where the runtime names it)
 *
 * "Nothing was changed" is said only when it is known: the job never started,
 * or the command only reads. Otherwise the outcome is unknown and said so.
 */
import { z } from 'zod';
import { tryParseCommand } from '../commands/parse.js';
import { JOB_MAX_AGE_MS, verifyJob } from '../domain/job-signature.js';
import { reply, type Reply } from '../domain/reply.js';
import { describeError } from '../errors.js';
import { Job, type AuditEvent } from '../jobs.js';
import type { Log } from '../log.js';
import type { ChatPort, Clock, PolicyStore, SlackSecrets } from '../ports.js';
import { code } from '../render/escape.js';
import { createAudit } from '../shared/audit-trail.js';

/**
 * A job's signature is checked as the worker checks it, but its age more loosely: the notice comes after the
 * job waited (up to maximumEventAge, 14 min) and ran (up to 15 min). Slack's response_url lasts 30 min.
 */
export const NOTICE_MAX_AGE_MS = JOB_MAX_AGE_MS + 20 * 60_000;

export const DestinationEvent = z.object({
  version: z.string().optional(),
  timestamp: z.string().optional(),
  requestContext: z.object({
    requestId: z.string().max(200),
    functionArn: z.string().max(300).optional(),
    condition: z.string().max(100),
    approximateInvokeCount: z.number().optional(),
  }),
  requestPayload: z.unknown(),
  responseContext: z.object({ statusCode: z.number().optional(), executedVersion: z.string().optional(), functionError: z.string().optional() }).partial().optional(),
  responsePayload: z.unknown().optional(),
});
export type DestinationEvent = z.infer<typeof DestinationEvent>;

export interface FailureNoticeDeps {
  secrets: () => Promise<SlackSecrets>;
  policies: PolicyStore;
  /** Slack with the bot token (built on first use) */
  chat: ChatPort;
  log: Log;
  clock: Clock;
}

/** What is known to have happened to the run, from Lambda's record of it. */
export type RunFate = { kind: 'never-started' } | { kind: 'timed-out' } | { kind: 'error'; errorType: string };

export function fateOf(event: DestinationEvent): RunFate {
  if (event.requestContext.condition === 'EventAgeExceeded') return { kind: 'never-started' };
  const p = (event.responsePayload ?? {}) as { errorType?: unknown; errorMessage?: unknown };
  const type = typeof p.errorType === 'string' ? p.errorType : '';
  if (type === 'Sandbox.Timedout' || (typeof p.errorMessage === 'string' && /Task timed out after/.test(p.errorMessage))) return { kind: 'timed-out' };
  // the type's name only (never the message: it is the worker's, and may carry anything)
  return { kind: 'error', errorType: /^[A-Za-z][\w.]{0,60}$/.test(type) ? type : 'unknown error' };
}

const whatHappened = (fate: RunFate) =>
  fate.kind === 'never-started'
    ? 'never started: the worker was busy (throttled) until the job was too old to run'
    : fate.kind === 'timed-out'
      ? "was stopped at the worker's time limit before it answered"
      : `stopped with an error (${fate.errorType}) before it answered`;

export type FailureNotice = (event: unknown) => Promise<void>;

export function createFailureNotice(deps: FailureNoticeDeps): FailureNotice {
  const { log, chat, clock } = deps;
  // the audit channel's message, as the worker would post it; the failure notice has no table, so the JSON log line is its record
  const audit = createAudit({ chat, log, history: { append: async () => undefined, query: async () => [] } });

  return async (raw) => {
    const parsed = DestinationEvent.safeParse(raw);
    if (!parsed.success) {
      log.error('not an on-failure record of the worker: ignored', { issues: parsed.error.issues.slice(0, 3) });
      return;
    }
    const event = parsed.data;
    const fate = fateOf(event);
    const lambdaRequestId = event.requestContext.requestId;
    const { signingSecret } = await deps.secrets();
    // only a job the ingress signed names a response_url worth trusting
    const check = verifyJob(event.requestPayload, signingSecret, clock.now(), NOTICE_MAX_AGE_MS);
    if (!check.ok) {
      log.error('a failed worker run whose job the ingress did not issue: nobody told', { why: check.why, lambdaRequestId, fate });
      return;
    }
    const job = Job.safeParse(check.job);
    if (!job.success) {
      log.error('a failed worker run with a malformed job: nobody told', { lambdaRequestId, issues: job.error.issues.slice(0, 3) });
      return;
    }
    const j = job.data;
    const policy = await deps.policies.policy();

    if (j.kind === 'audit') {
      // the worker could not record an audit event (e.g. the ingress's refusal): the channel gets it from here
      log.error('the worker failed to record an audit event; posted from the failure notice', { requestId: j.event.requestId, fate });
      await audit.record({ ...j.event, detail: `${j.event.detail} (posted by the failure notice: the worker ${whatHappened(fate)}; not in /swarm audit)`.slice(0, 2000) }, policy);
      return;
    }

    const requestId = j.requestId;
    const mutating = j.kind === 'command' ? (tryParseCommand(j.text)?.spec.mutating ?? true) : true;
    const unchanged = fate.kind === 'never-started' || !mutating;
    const what = j.kind === 'command' ? `${code(`/swarm ${j.text}`)} (request ${code(requestId)})` : `Your ${j.decision === 'approve' ? 'approval' : 'denial'} of request ${code(requestId)}`;
    const consequence = unchanged
      ? fate.kind === 'never-started'
        ? 'Nothing was changed. Try again when it is quieter.'
        : 'It only reads, so nothing was changed. Try again in a moment.'
      : j.kind === 'command'
        ? `Its outcome is unknown: it may have changed ${code(j.cluster)} in part or in full. Check with \`/swarm status\` (and \`/swarm audit\`) before trying again.`
        : 'Its outcome is unknown: check the request message and `/swarm status` before anyone clicks again.';
    const notice: Reply = reply(unchanged ? 'No answer: nothing was changed' : 'No answer: outcome unknown', 'error', [
      { kind: 'text', text: `${what} ${whatHappened(fate)}. ${consequence}` },
      { kind: 'context', text: `Request ${code(requestId)} · quote it to your platform team: the worker's log has the details.` },
    ], 'ephemeral');
    log.error('a worker run ended without an answer: telling the person', { requestId, lambdaRequestId, fate, unchanged });
    // the person first; failing that, Lambda retries this function (and its alarm fires)
    await chat.respond(j.responseUrl, notice, j.kind === 'decision' ? { replaceOriginal: false } : {});

    const auditEvent: AuditEvent = {
      requestId,
      at: clock.now().toISOString(),
      user: j.user,
      command: (j.kind === 'command' ? j.text : `decision ${j.decision}`).slice(0, 200),
      ...(j.kind === 'command' ? { cluster: j.cluster } : {}),
      outcome: 'failed',
      detail: `No answer from the worker: it ${whatHappened(fate)}. ${unchanged ? 'Nothing was changed.' : 'Outcome unknown.'} The person was told.`,
    };
    await audit.record(auditEvent, policy).catch((err) => log.error('audit of a failed run failed', { requestId, error: describeError(err) }));
  };
}
