/**
 * What the worker's handlers share: the one command path (with the TLS
 * retry), Lambda's clock, the two kinds of failure, progress messages,
 * delivery to Slack and the audit. Built once per worker.
 */
import { tryParseCommand } from '../commands/parse.js';
import { resolveCluster, type Policy } from '../config/policy.js';
import type { VerifiedApproval } from '../domain/approval.js';
import { errorReply, refusalReply, reply, type Reply } from '../domain/reply.js';
import { describeError, isRefusal, isUserFacing, SwarmError } from '../errors.js';
import type { AuditEvent } from '../jobs.js';
import { code } from '../render/escape.js';
import { swarmOf } from '../shared/job-deps.js';
import { runCommand, type CommandRequest, type Outcome } from './run-command.js';
import type { Invocation, WorkerDeps } from './worker-types.js';
import type { ChangeContext } from '../actions/types.js';
import { signAlertButton } from '../domain/alert-button.js';

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
  /** the last step the command reported before time ran out: how far it got */
  constructor(readonly lastStep?: string) {
    super('the function ran out of time');
  }
}

/**
 * The steps a command reports (its progress): the last one says how far it got, and once the
 * function's time is up (`stop`), reporting the next one throws, so the command starts no new step.
 */
export function stepLog(report: (text: string) => void = () => undefined) {
  let last: string | undefined;
  let stopped = false;
  return {
    report(text: string): void {
      if (stopped) throw new OutOfTime(last);
      last = text;
      report(text);
    },
    get last(): string | undefined {
      return last;
    },
    stop(): void {
      stopped = true;
    },
  };
}
export type StepLog = ReturnType<typeof stepLog>;

export type WorkerKit = ReturnType<typeof createWorkerKit>;

export function createWorkerKit(deps: WorkerDeps) {
  const { log, chat, clock } = deps;
  const swarmFor = swarmOf(deps);

  /** One command through the shared path; a TLS failure drops the cached credentials once (they may have been replaced). */
  async function run(
    policy: Policy,
    req: CommandRequest,
    approval?: { request: VerifiedApproval; approver: string },
    progress?: (text: string) => void,
    hooks: Pick<ChangeContext, 'handOff' | 'signer'> = {},
  ): Promise<Outcome> {
    const runDeps = { swarmFor, history: deps.history, claims: deps.claims, unlockKeys: deps.unlockKeys, clock, progress: progress ?? (() => undefined), ...(deps.incidents ? { incidents: deps.incidents } : {}), ...hooks };
    try {
      return await runCommand(runDeps, policy, req, approval);
    } catch (err) {
      if (!(err instanceof SwarmError && err.code === 'TLS')) throw err;
      deps.credentials.invalidate(approval?.request.cluster ?? resolveCluster(policy, req.channel, tryParseCommand(req.text)?.args.cluster));
      return runCommand(runDeps, policy, req, approval);
    }
  }

  /**
   * Races the work against the function's own end: an answer is always given, never a silent kill. With the
   * command's `steps`, time up also stops it at its next step, and the answer says the last one it reached.
   */
  async function withinTime<T>(invocation: Invocation | undefined, work: Promise<T>, steps?: StepLog): Promise<T> {
    const left = invocation?.remainingMs?.();
    if (left === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const out = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        steps?.stop();
        reject(new OutOfTime(steps?.last));
      }, Math.max(0, left - SAFETY_MS));
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
      const far = err.lastStep ? `It had got as far as: ${code(err.lastStep)}; it starts no further step.` : 'It had not reported a step yet.';
      return errorReply(
        `\`/swarm ${ctx.command}\` did not finish in the time this function has, so its outcome is unknown. ${far} Check with \`/swarm status\` before trying again. Request \`${ctx.requestId}\`.`,
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
      return isRefusal(err) ? refusalReply(err.message) : errorReply(err.message);
    }
    log.error('command failed', { ...ctx, error: describeError(err) });
    return errorReply(`Something went wrong on our side. Quote request id \`${ctx.requestId}\` to your platform team.`);
  }

  /**
   * What a change may do with the message it is answered in: hand a rollout
   * it stops following to the watch (which edits that message to the
   * verdict), and sign buttons (Roll back) for that channel.
   */
  function changeHooks(o: { channel: string; requestId: string; requester: string; title: string; place: () => Promise<{ channel: string; ts: string } | undefined> }): Pick<ChangeContext, 'handOff' | 'signer'> {
    const rollouts = deps.rollouts;
    const botToken = deps.botToken;
    return {
      ...(rollouts
        ? {
            handOff: async (r) => {
              const where = await o.place().catch(() => undefined);
              if (!where) return false;
              await rollouts.put({ ...r, requestId: o.requestId, requester: o.requester, channel: where.channel, ts: where.ts, title: o.title, startedAt: clock.now().getTime() });
              return true;
            },
          }
        : {}),
      ...(botToken
        ? {
            signer: async () => {
              const token = await botToken();
              return (command: string) => signAlertButton({ command, cluster: /--cluster (\S+)/.exec(command)?.[1] ?? '', channel: o.channel, now: clock.now().getTime() }, token);
            },
          }
        : {}),
    };
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
      /** the message the answer will be in, posted now if no phase was shown yet */
      async place(): Promise<{ channel: string; ts: string } | undefined> {
        if (!ts) void show(reply(title, 'info', [{ kind: 'text', text: `:hourglass_flowing_sand: ${latest ?? 'working'}` }]));
        await chain;
        return ts ? { channel, ts } : undefined;
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
    if (err instanceof OutOfTime) {
      const far = err.lastStep ? ` It had got as far as: ${err.lastStep.slice(0, 300)}.` : '';
      return { outcome: 'failed', detail: `Outcome unknown: the function ran out of time.${far} Check with /swarm status.`, unknown: true };
    }
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

  return { run, withinTime, stepLog, failureReply, failureOutcome, progressMessage, changeHooks, respond, audit };
}
