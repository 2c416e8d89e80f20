/**
 * What the `slack` function needs from AWS, over `AwsLite`: the Slack
 * secrets and the policy (one GetParameters call, kept 60 s), and the
 * asynchronous invoke that hands a job to the worker.
 */
import { cachedPolicyParser, type Policy } from '../config/policy.js';
import { ConfigError } from '../errors.js';
import type { Clock, JobQueue, PolicyStore, SlackSecrets } from '../ports.js';
import { AwsCallError, type AwsLite } from './aws-lite.js';

const NAMES = ['slack/signing-secret', 'slack/bot-token', 'slack/bot-user-id', 'policy'] as const;
type Name = (typeof NAMES)[number];

/** An SSM failure as a ConfigError that says what to do (the worker's `SsmParameters` words them the same way). */
function ssmProblem(err: unknown, names: string[]): ConfigError {
  const code = err instanceof AwsCallError ? err.code : err instanceof Error ? err.name : 'Error';
  const what = `SSM parameters ${names.join(', ')}`;
  if (/Throttl/i.test(code)) return new ConfigError(`SSM is throttling requests (${code}), so ${what} could not be read. Try again in a moment.`, { cause: err });
  if (/AccessDenied|KMS|Unauthorized|Forbidden|Credentials/i.test(code)) {
    return new ConfigError(`Access denied to ${what} (${code}). Give this function's role ssm:GetParameters on them and kms:Decrypt on their key.`, { cause: err });
  }
  const detail = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err).slice(0, 200);
  return new ConfigError(`Could not read ${what} (${code}: ${detail}). Check that SSM is reachable from this function (AWS_ENDPOINT_URL_SSM in tests).`, { cause: err });
}

/**
 * The ingress's parameters: the three Slack values and the policy, in one
 * GetParameters call, kept for `ttlMs`. Requests that arrive together on a
 * cold start share that one call. When SSM fails, the last values read
 * answer instead (the ingress would rather use them than miss Slack's 3 s).
 */
export class SsmSlackParameters implements PolicyStore {
  private values?: { at: number; byName: Record<Name, string> };
  private inFlight?: Promise<Record<Name, string>>;
  private parsePolicy?: (raw: string) => Policy;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly ssm: AwsLite,
    private readonly prefix: string,
    opts: { ttlMs?: number; clock?: Clock } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.clock = opts.clock ?? { now: () => new Date() };
  }

  get calls(): number {
    return this.ssm.calls;
  }

  private async read(): Promise<Record<Name, string>> {
    if (this.values && this.values.at + this.ttlMs > this.clock.now().getTime()) return this.values.byName;
    this.inFlight ??= this.fetch().finally(() => (this.inFlight = undefined));
    try {
      return await this.inFlight;
    } catch (err) {
      if (this.values) return this.values.byName;
      throw err;
    }
  }

  private async fetch(): Promise<Record<Name, string>> {
    const full = NAMES.map((n) => `${this.prefix}/${n}`);
    let out: { Parameters?: Array<{ Name: string; Value: string }>; InvalidParameters?: string[] };
    try {
      out = (await this.ssm.post('/', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameters' }, { Names: full, WithDecryption: true })).json as typeof out;
    } catch (err) {
      throw ssmProblem(err, full);
    }
    const missing = out.InvalidParameters ?? [];
    if (missing.length) {
      throw new ConfigError(
        `SSM parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist. ` +
          `Create ${missing.length > 1 ? 'them' : 'it'} (see "SSM Parameter Store layout" in the README), or check SSM_PREFIX (${this.prefix}).`,
      );
    }
    const byFull = new Map((out.Parameters ?? []).map((p) => [p.Name, p.Value]));
    const byName = Object.fromEntries(NAMES.map((n, i) => [n, byFull.get(full[i]!) ?? ''])) as Record<Name, string>;
    this.values = { at: this.clock.now().getTime(), byName };
    return byName;
  }

  async slackSecrets(): Promise<SlackSecrets> {
    const v = await this.read();
    return { signingSecret: v['slack/signing-secret'], botToken: v['slack/bot-token'], botUserId: v['slack/bot-user-id'] };
  }

  async policy(): Promise<Policy> {
    const raw = (await this.read()).policy;
    // parsed once per value, not once per request (a bad value too)
    this.parsePolicy ??= cachedPolicyParser(`${this.prefix}/policy`);
    return this.parsePolicy(raw);
  }
}

/** Hands a job to the worker Lambda without waiting for it (InvocationType Event: Lambda answers 202). */
export class LambdaEventQueue implements JobQueue {
  constructor(
    private readonly lambda: AwsLite,
    private readonly functionName: string,
  ) {}

  async enqueue(job: unknown): Promise<void> {
    const { status } = await this.lambda.post(
      `/2015-03-31/functions/${encodeURIComponent(this.functionName)}/invocations`,
      { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      job,
    );
    if (status !== 202) throw new Error(`worker invoke answered ${status}`);
  }
}
