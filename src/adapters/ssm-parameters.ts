import { GetParametersByPathCommand, GetParametersCommand, type Parameter, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, UnknownClusterError } from '../errors.js';
import { parsePolicy, type Policy } from '../config/policy.js';
import type { ClusterCredentials, Clock, CredentialStore, PolicyStore, SlackSecrets } from '../ports.js';

const MAX_NAMES_PER_CALL = 10;

interface Entry<T> {
  value: T;
  expires: number;
}

/**
 * Reads the contract's parameter layout under SSM_PREFIX in as few calls as
 * SSM allows (GetParameters with up to 10 names, GetParametersByPath for a
 * cluster) and keeps the values for a bounded time in the warm container.
 */
export class SsmParameters implements CredentialStore, PolicyStore {
  private readonly values = new Map<string, Entry<string>>();
  private readonly clusters = new Map<string, Entry<ClusterCredentials>>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  /** SSM calls made, for the benchmark and the tests that count them */
  calls = 0;

  private readonly staleOnError: boolean;

  constructor(
    private readonly ssm: SSMClient,
    private readonly prefix: string,
    opts: { ttlMs?: number; clock?: Clock; staleOnError?: boolean } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.clock = opts.clock ?? { now: () => new Date() };
    // the ingress would rather answer with a minute-old policy than not answer within Slack's 3 s
    this.staleOnError = opts.staleOnError ?? false;
  }

  private fresh<T>(e: Entry<T> | undefined): e is Entry<T> {
    return e !== undefined && e.expires > this.clock.now().getTime();
  }

  /** Values of parameters named relative to the prefix; those not cached are fetched together. */
  async get(names: string[]): Promise<Record<string, string>> {
    try {
      return await this.fetch(names);
    } catch (err) {
      if (this.staleOnError && names.every((n) => this.values.has(n))) {
        return Object.fromEntries(names.map((n) => [n, this.values.get(n)!.value]));
      }
      throw err;
    }
  }

  private async fetch(names: string[]): Promise<Record<string, string>> {
    const missing = names.filter((n) => !this.fresh(this.values.get(n)));
    for (let i = 0; i < missing.length; i += MAX_NAMES_PER_CALL) {
      const batch = missing.slice(i, i + MAX_NAMES_PER_CALL);
      this.calls++;
      const out = await this.ssm.send(
        new GetParametersCommand({ Names: batch.map((n) => `${this.prefix}/${n}`), WithDecryption: true }),
      );
      if (out.InvalidParameters?.length) {
        throw new ConfigError(`SSM parameter(s) missing: ${out.InvalidParameters.join(', ')}`);
      }
      const expires = this.clock.now().getTime() + this.ttlMs;
      for (const p of out.Parameters ?? []) {
        this.values.set(p.Name!.slice(this.prefix.length + 1), { value: p.Value ?? '', expires });
      }
    }
    return Object.fromEntries(names.map((n) => [n, this.values.get(n)!.value]));
  }

  async slackSecrets(): Promise<SlackSecrets> {
    // the policy rides along: the ingress needs it on the same request, and it costs no extra call
    const v = await this.get(['slack/signing-secret', 'slack/bot-token', 'slack/bot-user-id', 'policy']);
    return { signingSecret: v['slack/signing-secret']!, botToken: v['slack/bot-token']!, botUserId: v['slack/bot-user-id']! };
  }

  private parsed?: { raw: string; policy: Policy };

  async policy(): Promise<Policy> {
    const raw = (await this.get(['policy']))['policy']!;
    // parsed once per value, not once per request
    if (this.parsed?.raw !== raw) this.parsed = { raw, policy: parsePolicy(raw) };
    return this.parsed.policy;
  }

  async clusterCredentials(cluster: string): Promise<ClusterCredentials> {
    const cached = this.clusters.get(cluster);
    if (this.fresh(cached)) return cached.value;
    const path = `${this.prefix}/clusters/${cluster}/`;
    const params: Parameter[] = [];
    let token: string | undefined;
    do {
      this.calls++;
      const out = await this.ssm.send(
        new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, NextToken: token }),
      );
      params.push(...(out.Parameters ?? []));
      token = out.NextToken; // a page may be empty and still carry a token
    } while (token);
    const byName = Object.fromEntries(params.map((p) => [p.Name!.slice(path.length), p.Value ?? '']));
    if (!params.length) {
      throw new UnknownClusterError(
        `Cluster \`${cluster}\` has no credentials in SSM under \`${path}\`. An operator must add its endpoints, ca, cert and key.`,
      );
    }
    const missing = ['endpoints', 'ca', 'cert', 'key'].filter((k) => !byName[k]);
    if (missing.length) throw new ConfigError(`Cluster ${cluster} is missing SSM parameter(s): ${missing.map((m) => path + m).join(', ')}`);
    const value: ClusterCredentials = {
      endpoints: byName['endpoints']!.split(',').map((s) => s.trim()).filter(Boolean),
      ca: byName['ca']!,
      cert: byName['cert']!,
      key: byName['key']!,
    };
    this.clusters.set(cluster, { value, expires: this.clock.now().getTime() + this.ttlMs });
    return value;
  }

  invalidate(cluster: string): void {
    this.clusters.delete(cluster);
  }
}
