/**
 * Small local servers that speak just enough of AWS's and Slack's wire
 * protocols for the real SDK clients to talk to them in tests:
 * SSM (JSON 1.1, X-Amz-Target), Lambda Invoke (REST-JSON), and Slack's Web
 * API plus response URLs. They record what they were sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
}

export interface Recorded {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function listen(handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void | Promise<void>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, Buffer.concat(chunks).toString('utf8'), res)).catch((err) => {
        res.writeHead(500).end(String(err));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const json = (res: http.ServerResponse, status: number, body: unknown, type = 'application/x-amz-json-1.1') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
};

/** An error the SSM stand-in answers with, in AWS's JSON protocol (`__type` names the exception). */
export interface SsmFailure {
  /** e.g. ThrottlingException, AccessDeniedException */
  type: string;
  message?: string;
  /** HTTP status, 400 unless given */
  status?: number;
  /** only these operations fail (all when absent), e.g. ['GetParametersByPath'] */
  targets?: string[];
}

/**
 * AWS SSM Parameter Store: GetParameter(s), GetParametersByPath with paging
 * of up to 10, PutParameter; `failWith` makes it answer with an AWS error.
 */
export async function startSsmStandIn(initial: StoredParameter[] = []) {
  const params = new Map(initial.map((p) => [p.name, p]));
  const versions = new Map<string, number>();
  /** each request: the operation, its input, and the access key id (and session token) it was signed with */
  const calls: Array<{ target: string; input: Record<string, unknown>; accessKeyId?: string; sessionToken?: string }> = [];
  let failure: SsmFailure | undefined;
  const toWire = (p: StoredParameter) => ({ Name: p.name, Type: p.type, Value: p.value, Version: versions.get(p.name) ?? 1, ARN: `arn:aws:ssm:eu-west-1:000000000000:parameter${p.name}` });
  const srv = await listen((req, body, res) => {
    const target = String(req.headers['x-amz-target'] ?? '').replace('AmazonSSM.', '');
    const input = JSON.parse(body || '{}') as Record<string, unknown>;
    const sessionToken = req.headers['x-amz-security-token'];
    calls.push({ target, input, accessKeyId: /Credential=([^/,]+)\//.exec(String(req.headers.authorization ?? ''))?.[1], ...(typeof sessionToken === 'string' ? { sessionToken } : {}) });
    if (failure && (!failure.targets || failure.targets.includes(target))) {
      return json(res, failure.status ?? 400, { __type: failure.type, message: failure.message ?? failure.type });
    }
    if (target === 'PutParameter') {
      const name = String(input['Name']);
      const type = input['Type'] as StoredParameter['type'] | undefined;
      const existing = params.get(name);
      if (existing && !input['Overwrite']) {
        return json(res, 400, { __type: 'ParameterAlreadyExists', message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.' });
      }
      const version = (versions.get(name) ?? (existing ? 1 : 0)) + 1;
      params.set(name, { name, type: type ?? existing?.type ?? 'String', value: String(input['Value']) });
      versions.set(name, version);
      return json(res, 200, { Version: version, Tier: 'Standard' });
    }
    if (target === 'GetParameters') {
      const names = input['Names'] as string[];
      if (!names?.length || names.length > 10) return json(res, 400, { __type: 'ValidationException', message: '1-10 names' });
      const found = names.filter((n) => params.has(n));
      return json(res, 200, { Parameters: found.map((n) => toWire(params.get(n)!)), InvalidParameters: names.filter((n) => !params.has(n)) });
    }
    if (target === 'GetParameter') {
      const p = params.get(String(input['Name']));
      return p ? json(res, 200, { Parameter: toWire(p) }) : json(res, 400, { __type: 'ParameterNotFound', message: 'not found' });
    }
    if (target === 'GetParametersByPath') {
      const path = String(input['Path']).replace(/\/?$/, '/');
      const all = [...params.values()].filter((p) => p.name.startsWith(path) && (input['Recursive'] || !p.name.slice(path.length).includes('/')));
      const start = Number(input['NextToken'] ?? 0);
      const page = all.slice(start, start + 10);
      const next = start + 10 < all.length ? String(start + 10) : undefined;
      return json(res, 200, { Parameters: page.map(toWire), ...(next ? { NextToken: next } : {}) });
    }
    return json(res, 400, { __type: 'UnknownOperationException', message: target });
  });
  return {
    ...srv,
    calls,
    put: (p: StoredParameter) => params.set(p.name, p),
    remove: (name: string) => params.delete(name),
    /** the stored parameter, e.g. to check what PutParameter wrote */
    read: (name: string): StoredParameter | undefined => params.get(name),
    /** every following call (or those to `targets`) answers with this error, until `failWith(undefined)` */
    failWith: (f: SsmFailure | undefined) => {
      failure = f;
    },
  };
}

/** AWS Lambda Invoke: records each asynchronous (Event) invocation's payload. */
export async function startLambdaStandIn(onInvoke?: (fn: string, payload: unknown) => void | Promise<void>) {
  const invocations: Array<{ functionName: string; invocationType: string; payload: unknown }> = [];
  const runs: Array<Promise<unknown>> = [];
  const srv = await listen(async (req, body, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    if (!m) return json(res, 404, { message: 'no such route' }, 'application/json');
    const functionName = decodeURIComponent(m[1]!);
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const payload = JSON.parse(body || 'null') as unknown;
    invocations.push({ functionName, invocationType, payload });
    res.writeHead(invocationType === 'Event' ? 202 : 200, { 'content-type': 'application/json' });
    res.end('');
    // like Lambda, the caller does not wait for the function to run
    if (onInvoke) runs.push(new Promise((r) => setImmediate(r)).then(() => onInvoke(functionName, payload)));
  });
  return {
    ...srv,
    invocations,
    /** waits until every function started so far (and any they started) has finished */
    async settled() {
      let done = 0;
      while (done < runs.length) {
        const upTo = runs.length;
        await Promise.allSettled(runs.slice(done, upTo));
        done = upTo;
      }
    },
  };
}

/** Slack's Web API (chat.postMessage, chat.update) and response URLs (/respond/<id>). */
export async function startSlackStandIn() {
  const posts: Array<{ method: string; body: Record<string, unknown> }> = [];
  const responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  let ts = 1_700_000_000;
  const srv = await listen((req, body, res) => {
    const url = req.url ?? '';
    const parsed = (): Record<string, unknown> => {
      if (String(req.headers['content-type']).includes('application/json')) return JSON.parse(body || '{}');
      const form = Object.fromEntries(new URLSearchParams(body));
      for (const k of ['blocks', 'attachments']) if (typeof form[k] === 'string') form[k] = JSON.parse(form[k]);
      return form;
    };
    if (url.startsWith('/respond/')) {
      responses.push({ id: url.slice('/respond/'.length), body: parsed() });
      return json(res, 200, { ok: true }, 'application/json');
    }
    const method = url.replace(/^\/api\//, '').split('?')[0]!;
    const b = parsed();
    posts.push({ method, body: b });
    const stamp = method === 'chat.update' ? String(b['ts']) : `${++ts}.000100`;
    return json(res, 200, { ok: true, channel: b['channel'], ts: stamp }, 'application/json');
  });
  return {
    ...srv,
    apiUrl: `${srv.url}/api/`,
    responseUrl: (id: string) => `${srv.url}/respond/${id}`,
    posts,
    responses,
    /** everything Slack was sent, as one string, for secret scans */
    transcript: () => JSON.stringify({ posts, responses }),
  };
}
