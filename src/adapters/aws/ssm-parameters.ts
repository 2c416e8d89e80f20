import { GetParameterError } from '@aws-lambda-powertools/parameters';
import { CLUSTER_KEYS, clusterParameter, clusterPrefix, SSM_NAMES } from '../../config/ssm-names.js';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMGetParametersByNameFromCacheOutputType, SSMGetParametersByNameOptions } from '@aws-lambda-powertools/parameters/ssm/types';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { cachedPolicyParser, type Policy } from '../../config/policy.js';
import { ConfigError, UnknownClusterError } from '../../errors.js';
import type { ClusterCredentials, Clock, CredentialStore, PolicyStore, SlackSecrets } from '../../ports.js';

type ByNameOptions = SSMGetParametersByNameOptions & { forceFetch?: boolean };

/**
 * Powertools' provider, honouring `forceFetch` per name in
 * `getParametersByName` as its documentation says (2.35 looks only at its
 * cache there). Batching by 10, paging, decryption and the cache stay Powertools'.
 */
class Provider extends SSMProvider {
  protected override getParametersByNameFromCache(parameters: Record<string, ByNameOptions>): SSMGetParametersByNameFromCacheOutputType {
    const entries = Object.entries(parameters);
    const { cached, toFetch } = super.getParametersByNameFromCache(Object.fromEntries(entries.filter(([, o]) => !o.forceFetch)));
    return { cached, toFetch: { ...toFetch, ...Object.fromEntries(entries.filter(([, o]) => o.forceFetch)) } };
  }
}

/**
 * Reads the contract's parameter layout under SSM_PREFIX through Powertools
 * Parameters, in as few calls as SSM allows (GetParameters with up to 10
 * names), and keeps the values for `ttlMs` (60 s) in the warm container.
 * Everything is read by its name, a cluster's credentials too: a read by
 * path would bring (and decrypt) the cluster's unlock key along, which only
 * the commands that need it read (`SsmUnlockKeys`).
 *
 * `clock` decides when a value is too old: an older one is fetched again
 * (forceFetch) whatever Powertools' own cache, which runs on the wall clock,
 * would say.
 */
export class SsmParameters implements CredentialStore, PolicyStore {
  /** SSM calls made (every command sent through the client, pages included), for the benchmark and the tests that count them */
  calls = 0;

  private readonly provider: Provider;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly staleOnError: boolean;
  /** when each name (full) was last fetched from SSM, by `clock` */
  private readonly fetchedAt = new Map<string, number>();
  /** the last value of each name (relative), for `staleOnError` */
  private readonly last = new Map<string, string>();
  private parsePolicy?: (raw: string) => Policy;

  constructor(
    private readonly ssm: SSMClient,
    private readonly prefix: string,
    opts: { ttlMs?: number; clock?: Clock; staleOnError?: boolean } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.clock = opts.clock ?? { now: () => new Date() };
    // the ingress would rather answer with a minute-old policy than not answer within Slack's 3 s
    this.staleOnError = opts.staleOnError ?? false;
    ssm.middlewareStack.add(
      (next) => async (args) => {
        this.calls++;
        return next(args);
      },
      { step: 'initialize' },
    );
    this.provider = new Provider({ awsSdkV3Client: ssm });
  }

  private full(name: string): string {
    return `${this.prefix}/${name}`;
  }

  /** Powertools keeps values at least as long as we do (it counts whole seconds) */
  private get maxAge(): number {
    return Math.ceil(this.ttlMs / 1000);
  }

  private fresh(key: string): boolean {
    const at = this.fetchedAt.get(key);
    return at !== undefined && at + this.ttlMs > this.clock.now().getTime();
  }

  /** Values of parameters named relative to the prefix; those not cached are fetched together. */
  async get(names: string[]): Promise<Record<string, string>> {
    try {
      return await this.fetch(names);
    } catch (err) {
      if (this.staleOnError && names.every((n) => this.last.has(n))) {
        return Object.fromEntries(names.map((n) => [n, this.last.get(n)!]));
      }
      throw err;
    }
  }

  private async fetch(names: string[], opts: { missing?: (names: string[]) => Error } = {}): Promise<Record<string, string>> {
    const now = this.clock.now().getTime();
    const request: Record<string, ByNameOptions> = {};
    for (const n of names) request[this.full(n)] = { forceFetch: !this.fresh(this.full(n)) };
    let out: Record<string, unknown> & { _errors?: string[] };
    try {
      out = await this.provider.getParametersByName(request, { decrypt: true, maxAge: this.maxAge, throwOnError: false });
    } catch (err) {
      throw ssmFailure(err, Object.keys(request), 'read');
    }
    const missing = out._errors ?? [];
    if (missing.length && opts.missing) throw opts.missing(missing);
    if (missing.length) {
      throw new ConfigError(
        `SSM parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist. ` +
          `Create ${missing.length > 1 ? 'them' : 'it'} (see "SSM Parameter Store layout" in the README), or check SSM_PREFIX (${this.prefix}).`,
      );
    }
    const values: Record<string, string> = {};
    for (const n of names) {
      const full = this.full(n);
      values[n] = String(out[full] ?? '');
      this.last.set(n, values[n]);
      if (request[full]!.forceFetch) this.fetchedAt.set(full, now);
    }
    return values;
  }

  async slackSecrets(): Promise<SlackSecrets> {
    // the policy rides along: the ingress needs it on the same request, and it costs no extra call
    const v = await this.get([SSM_NAMES.signingSecret, SSM_NAMES.botToken, SSM_NAMES.botUserId, SSM_NAMES.policy]);
    return { signingSecret: v[SSM_NAMES.signingSecret]!, botToken: v[SSM_NAMES.botToken]!, botUserId: v[SSM_NAMES.botUserId]! };
  }

  /**
   * The bot token alone, for the functions that post to Slack but neither sign nor verify anything
   * (worker's chat, rotate, sweep, watch): their role may not read the signing secret, so they must not ask for it.
   */
  async botToken(): Promise<string> {
    return (await this.get([SSM_NAMES.botToken]))[SSM_NAMES.botToken]!;
  }

  async policy(): Promise<Policy> {
    const raw = (await this.get([SSM_NAMES.policy]))[SSM_NAMES.policy]!;
    // parsed once per value, not once per request (a bad value too)
    this.parsePolicy ??= cachedPolicyParser(this.full(SSM_NAMES.policy));
    return this.parsePolicy(raw);
  }

  /** The four names of `clusters/<name>/`, read together (never the unlock key beside them). */
  async clusterCredentials(cluster: string): Promise<ClusterCredentials> {
    const names = CLUSTER_KEYS.map((k) => clusterParameter(cluster, k));
    const byKey = await this.fetch(names, {
      missing: (absent) => {
        if (absent.length === names.length) {
          return new UnknownClusterError(
            `Cluster \`${cluster}\` has no credentials in SSM under \`${this.full(clusterPrefix(cluster))}/\`. An operator must add its endpoints, ca, cert and key.`,
          );
        }
        return new ConfigError(
          `Cluster ${cluster} is missing SSM parameter(s): ${names.filter((n) => absent.includes(this.full(n))).map((n) => this.full(n)).join(', ')}. ` +
            'Add them (endpoints as a StringList, ca, cert and key as SecureStrings).',
        );
      },
    });
    const v = (k: (typeof CLUSTER_KEYS)[number]) => byKey[clusterParameter(cluster, k)]!;
    return {
      endpoints: v('endpoints').split(',').map((s) => s.trim()).filter(Boolean),
      ca: v('ca'),
      cert: v('cert'),
      key: v('key'),
    };
  }

  /** After a TLS failure: the next read of this cluster goes to SSM, once. */
  invalidate(cluster: string): void {
    for (const k of CLUSTER_KEYS) this.fetchedAt.delete(this.full(clusterParameter(cluster, k)));
  }

  /** Writes a SecureString named relative to the prefix (e.g. `clusters/prod/unlock-key`), replacing any value. */
  async putSecureString(name: string, value: string): Promise<void> {
    const full = this.full(name);
    try {
      await this.ssm.send(new PutParameterCommand({ Name: full, Value: value, Type: 'SecureString', Overwrite: true }));
    } catch (err) {
      throw ssmFailure(err, [full], 'write');
    }
    // a later read of this name must see the new value
    this.fetchedAt.delete(full);
  }
}

/** An SSM failure as a ConfigError that names the parameters and says what to do; the SDK error stays as `cause`. */
function ssmFailure(err: unknown, names: string[], op: 'read' | 'write'): ConfigError {
  const cause = err instanceof GetParameterError && err.cause !== undefined ? err.cause : err;
  const code = cause instanceof Error ? cause.name : 'Error';
  const what = `${names.length > 1 ? 'SSM parameters' : 'SSM parameter'} ${names.join(', ')}`;
  const verb = op === 'read' ? 'read' : 'write';
  if (/Throttl|TooManyUpdates|RateExceeded/i.test(code)) {
    return new ConfigError(
      `SSM is throttling requests (${code}), so ${what} could not be ${verb === 'read' ? 'read' : 'written'}. ` +
        'Try again in a moment; Parameter Store shares 40 TPS per account and region by default (raise it with "higher throughput" if this keeps happening).',
      { cause },
    );
  }
  if (/AccessDenied|KMS|Unauthorized|Forbidden/i.test(code)) {
    const permission = op === 'read' ? 'ssm:GetParameters' : 'ssm:PutParameter';
    return new ConfigError(
      `Access denied to ${what} (${code}). Give this function's role ${permission} on it and kms:${op === 'read' ? 'Decrypt' : 'Encrypt'} on its key.`,
      { cause },
    );
  }
  const detail = cause instanceof Error ? cause.message.split('\n')[0]!.slice(0, 200) : String(cause).slice(0, 200);
  return new ConfigError(
    `Could not ${verb} ${what} (${code}: ${detail}). Check that SSM is reachable from this function (VPC endpoint or NAT; AWS_ENDPOINT_URL_SSM in tests).`,
    { cause },
  );
}
