/**
 * What the worker's handlers share: the one command path (with the TLS
 * retry), Lambda's clock, the two kinds of failure, progress messages,
 * delivery to Slack and the audit. Built once per worker.
 */
import { tryParseCommand } from '../commands/parse.js';
import { resolveCluster, type Policy } from '../config/policy.js';
import type { VerifiedApproval } from '../domain/approval.js';
import { errorReply, reply, type Reply } from '../domain/reply.js';
import { describeError, isUserFacing, SwarmError } from '../errors.js';
import type { AuditEvent } from '../jobs.js';
import { code } from '../render/escape.js';
import { swarmOf } from '../shared/job-deps.js';
import { runCommand, type CommandRequest, type Outcome } from './run-command.js';
import type { Invocation, WorkerDeps } from './worker-types.js';

/** Answering "outcome unknown" and auditing it takes a moment: stop waiting this long before Lambda's end. */
const SAFETY_MS = 2500;
/** Slack allows about one message a second per channel: progress is shown at most this often */
const PROGRESS_EVERY_MS = 1500;
/** a command that answers within about a second shows no progress at all */
const SHOW_AFTER_MS = 1000;


/** At most one call every PROGRESS_EVERY_MS; the ones between are dropped (a later phase says more). */
export function throttle(fn: (text: string) => void): (text: string) => void {
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

export type WorkerKit = ReturnType<typeof createWorkerKit>;

export function createWorkerKit(deps: WorkerDeps) {
  const { log, chat, clock } = deps;
  const swarmFor = swarmOf(deps);

  /** One command through the shared path; a TLS failure drops the cached credentials once (they may have been replaced). */
  async function run(policy: Policy, req: CommandRequest, approval?: { request: VerifiedApproval; approver: string }, progress?: (text: string) => void): Promise<Outcome> {
    const runDeps = { swarmFor, history: deps.history, claims: deps.claims, unlockKeys: deps.unlockKeys, clock, progress: progress ?? (() => undefined), ...(deps.incidents ? { incidents: deps.incidents } : {}) };
    try {
      return await runCommand(runDeps, policy, req, approval);
    } catch (err) {
      if (!(err instanceof SwarmError && err.code === 'TLS')) throw err;
      deps.credentials.invalidate(approval?.request.cluster ?? resolveCluster(policy, req.channel, tryParseCommand(req.text)?.args.cluster));
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
    if (err instanceof SwarmError && err.code === 'UNCERTAIN') {
      log.error('command outcome unknown', { ...ctx, error: describeError(err) });
      return errorReply(err.message, 'Outcome unknown');
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
    const started = Date.now();
    let latest: string | undefined;
    let pending: NodeJS.Timeout | undefined;
    let done = false;
    const show = (r: Reply) =>
      (chain = chain
        .then(async () => {
          if (ts) await chat.update(channel, ts, r);
          else ts = (await chat.post(channel, r)).ts;
        })
        .catch((err) => log.warn('could not show progress', { error: describeError(err) })));
    const showLatest = throttle((text) => void show(reply(title, 'info', [{ kind: 'text', text: `:hourglass_flowing_sand: ${text}` }])));
    return {
      /** a phase; shown only once the work has run about a second, so quick commands answer as usual */
      report(text: string) {
        latest = text;
        if (done) return;
        if (Date.now() - started >= SHOW_AFTER_MS) return showLatest(text);
        pending ??= setTimeout(() => {
          if (!done && latest) showLatest(latest);
        }, SHOW_AFTER_MS - (Date.now() - started));
      },
      /** the result in place of the progress; false when no progress was ever shown */
      async finish(result: Reply): Promise<boolean> {
        done = true;
        clearTimeout(pending);
        await chain;
        if (!ts || ts === existingTs) return false;
        await show(result);
        return true;
      },
    };
  }

  /** How a failure is audited: "may or may not have happened" is no refusal but a failure to look into. */
  function failureOutcome(err: unknown): { outcome: AuditEvent['outcome']; detail: string; unknown: boolean } {
    if (err instanceof OutOfTime) return { outcome: 'failed', detail: 'Outcome unknown: the function ran out of time. Check with /swarm status.', unknown: true };
    const unknown = err instanceof SwarmError && err.code === 'UNCERTAIN';
    return { outcome: isUserFacing(err) && !unknown ? 'refused' : 'failed', detail: isUserFacing(err) ? err.message : 'internal error (see logs)', unknown };
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

  return { run, withinTime, failureReply, failureOutcome, progressMessage, respond, audit };
}
