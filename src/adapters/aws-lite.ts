/**
 * Two AWS calls for the acknowledgement path, without the AWS SDK: SSM
 * `GetParameters` and Lambda `Invoke` (asynchronous), each one signed
 * HTTPS request (Signature Version 4) over a kept-alive connection.
 *
 * Why not the SDK: the `slack` function must answer Slack within 3 s, and
 * a cold start pays for every byte it loads. The two clients and their
 * shared core were about 700 KB of its 1.6 MB bundle, for two JSON POSTs.
 * Everything else (the worker, the scheduled functions) keeps the SDK.
 *
 * Credentials come from the environment, as Lambda provides them
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); endpoints
 * from AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL, as
 * the SDK reads them, or the region's public endpoint.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsRequest {
  method: 'POST';
  /** the URL path, each segment already percent-encoded */
  path: string;
  headers: Record<string, string>;
  body: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();
/** RFC 3986 unreserved characters stay; everything else is %XX (what SigV4 calls UriEncode) */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Signs a request in place (SigV4, header form) and returns it. `now` is
 * the signing time; the path is encoded once more for the canonical request,
 * as every service but S3 expects.
 */
export function signV4(req: AwsRequest & { host: string }, o: { service: string; region: string; credentials: AwsCredentials; now: Date }): AwsRequest {
  const amzDate = o.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-date': amzDate };
  if (o.credentials.sessionToken) headers['x-amz-security-token'] = o.credentials.sessionToken;
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const value = (name: string) => String(Object.entries(headers).find(([k]) => k.toLowerCase() === name)![1]).trim().replace(/\s+/g, ' ');
  const canonicalPath = req.path.split('/').map(uriEncode).join('/');
  const canonical = ['POST', canonicalPath, '', ...names.map((n) => `${n}:${value(n)}`), '', names.join(';'), sha256(req.body)].join('\n');
  const scope = `${day}/${o.region}/${o.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = ['aws4_request'].reduce((k, part) => hmac(k, part), [day, o.region, o.service].reduce<string | Buffer>((k, part) => hmac(k, part), `AWS4${o.credentials.secretAccessKey}`));
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${o.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  delete headers['host'];
  return { ...req, headers };
}

/** An AWS answer that was not a success: `code` is the exception's name (`ThrottlingException`, …). */
export class AwsCallError extends Error {
  override name = 'AwsCallError';
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export interface AwsLiteOptions {
  service: 'ssm' | 'lambda';
  env: NodeJS.ProcessEnv;
  /** per attempt */
  timeoutMs?: number;
  /** attempts in all (a reused connection the far end already closed fails at once and is tried again) */
  attempts?: number;
  clock?: { now(): Date };
}

/** One service's endpoint, signed JSON POSTs to it, kept-alive connections. */
export class AwsLite {
  /** requests sent, retries included (the bench and tests count them) */
  calls = 0;
  private readonly url: URL;
  private readonly region: string;
  private readonly agent: http.Agent;
  private readonly o: Required<Omit<AwsLiteOptions, 'env'>>;
  private readonly env: NodeJS.ProcessEnv;

  constructor(o: AwsLiteOptions) {
    this.env = o.env;
    this.o = { service: o.service, timeoutMs: o.timeoutMs ?? 1000, attempts: o.attempts ?? 2, clock: o.clock ?? { now: () => new Date() } };
    this.region = o.env.AWS_REGION || o.env.AWS_DEFAULT_REGION || 'us-east-1';
    const override = o.env[`AWS_ENDPOINT_URL_${o.service.toUpperCase()}`] || o.env.AWS_ENDPOINT_URL;
    this.url = new URL(override || `https://${o.service}.${this.region}.amazonaws.com`);
    this.agent = this.url.protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
  }

  private credentials(): AwsCredentials {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = this.env;
    if (!accessKeyId || !secretAccessKey) {
      throw new AwsCallError('CredentialsMissing', 'No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): Lambda sets them; elsewhere export them');
    }
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }

  /** POSTs `body` (JSON) and returns the status and the parsed answer; AWS errors become AwsCallError. */
  async post(path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; json: unknown }> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      try {
        const out = await this.once(path, headers, JSON.stringify(body));
        if (out.status < 300) return { status: out.status, json: out.text ? JSON.parse(out.text) : undefined };
        const parsed = (out.text ? JSON.parse(out.text) : {}) as { __type?: string; message?: string; Message?: string };
        const code = String(parsed.__type ?? out.headers['x-amzn-errortype'] ?? `HTTP${out.status}`).split(/[#:]/).filter(Boolean).at(-1)!;
        throw new AwsCallError(code, parsed.message ?? parsed.Message ?? `${this.o.service} answered HTTP ${out.status}`, out.status);
      } catch (err) {
        // a refusal is final; throttling, AWS's own failures, time-outs and broken connections get one more try
        if (err instanceof AwsCallError && err.statusCode !== undefined && err.statusCode < 500 && !/Throttl|TooManyRequests/i.test(err.code)) throw err;
        last = err;
      }
    }
    throw last;
  }

  private once(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    this.calls++;
    const signed = signV4(
      { method: 'POST', host: this.url.host, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body },
      { service: this.o.service, region: this.region, credentials: this.credentials(), now: this.o.clock.now() },
    );
    const lib = this.url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        { host: this.url.hostname, port: this.url.port || undefined, method: 'POST', path: signed.path, headers: signed.headers, agent: this.agent, timeout: this.o.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new AwsCallError('TimeoutError', `${this.o.service} did not answer within ${this.o.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
