/**
 * A short-lived container on one daemon (host network), e.g. the join
 * preflight's port checks: created, started, waited for, read, and always
 * removed, all within one time limit.
 */
import { randomBytes } from 'node:crypto';
import { SwarmError } from '../../errors.js';
import { dockerMessage, isTimeout, statusOf } from './docker-errors.js';
import { demuxDockerStream } from './docker-json.js';
import type { DockerTransport, Session } from './docker-transport.js';
import { done, notDone, settleWrite } from './uncertain-write.js';

export interface RunOnceSpec {
  image: string;
  cmd: string[];
  timeoutMs: number;
}

/** what `timeout(1)` answers for a command it stopped: lets the caller tell a time-out from a failed check */
export const TIMED_OUT_EXIT_CODE = 124;

/** Labelled so that one left behind (a lost answer, a removal that failed) can be found and removed. */
export const PREFLIGHT_LABEL = 'swarm-ops.preflight';

interface Run {
  t: DockerTransport;
  url: string;
  /** a session whose calls end at `end` (ms since the epoch) */
  until: (end: number) => Session;
}

/** Docker's refusal, or the daemon's silence, in words for the user; the container is removed either way. */
function failed(run: Run, what: string, err: unknown): SwarmError {
  if (statusOf(err) === undefined) return run.t.daemonError(run.url, err);
  return new SwarmError('CONFLICT', `Docker on ${run.url} refused ${what}: ${dockerMessage(err)}`, { cause: err });
}

const ask = <T>(run: Run, what: string, send: () => Promise<T>): Promise<T> =>
  send().catch((err: unknown) => {
    throw failed(run, what, err);
  });

function create(run: Run, name: string, spec: RunOnceSpec, end: number): Promise<string> {
  const body = {
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: { [PREFLIGHT_LABEL]: '1' },
    HostConfig: { NetworkMode: 'host', AutoRemove: false },
  };
  return settleWrite({
    write: () =>
      run.t.daemonWrite(run.url, 'the preflight container', async () => {
        const out = await run.until(end).post<{ Id?: string }>('/containers/create', body, { name });
        return out.Id ?? name;
      }),
    // by its name, new for every run: one found is ours (a 404 leaves the create UNCERTAIN)
    readBack: async () => {
      const found = await run.until(Date.now() + run.t.callTimeoutMs).get<{ Id?: string }>(`/containers/${name}/json`);
      return found.Id ? done(found.Id) : notDone;
    },
    onRefused: (err) => {
      if (statusOf(err) === 404) {
        return new SwarmError('NOT_FOUND', `The image \`${spec.image}\` is not on ${run.url}: pull it there first (swarm-ops never pulls images).`);
      }
      return new SwarmError('CONFLICT', `Docker on ${run.url} refused the preflight container: ${dockerMessage(err)}`);
    },
  });
}

async function startAndCollect(run: Run, id: string, spec: RunOnceSpec, runUntil: number, readUntil: number) {
  await ask(run, 'to start the preflight container', () => run.until(runUntil).post<unknown>(`/containers/${id}/start`, {}));
  let exitCode: number;
  let note = '';
  try {
    const waited = await run.until(runUntil).post<{ StatusCode?: number }>(`/containers/${id}/wait`, {});
    exitCode = waited.StatusCode ?? -1;
  } catch (err) {
    if (!isTimeout(err) && Date.now() < runUntil) throw failed(run, 'to wait for the preflight container', err);
    // still running at the time limit: stopped, and what it wrote so far is still read
    await run.until(readUntil).post<unknown>(`/containers/${id}/kill`, {}).catch(() => undefined);
    exitCode = TIMED_OUT_EXIT_CODE;
    note = `swarm-ops: stopped after ${Math.round(spec.timeoutMs / 1000)} s (time limit)\n`;
  }
  const raw = await ask(run, 'the preflight container’s logs', () =>
    run.until(readUntil).get<Buffer | string>(`/containers/${id}/logs`, { stdout: true, stderr: true }),
  );
  return { exitCode, output: demuxDockerStream(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))) + note };
}

export async function runOnce(t: DockerTransport, url: string, spec: RunOnceSpec): Promise<{ exitCode: number; output: string }> {
  const deadline = Date.now() + spec.timeoutMs;
  // kept out of the container's share: one for stopping it and reading its logs, one for removing it
  const slack = Math.min(t.callTimeoutMs, Math.max(250, Math.floor(spec.timeoutMs / 5)));
  const runUntil = deadline - 2 * slack;
  // `wait` answers only when the container exits: its socket may stay silent that long
  const d = await t.daemon(url, Math.max(t.callTimeoutMs, spec.timeoutMs));
  const run: Run = { t, url, until: (end) => d.session(AbortSignal.timeout(Math.max(1, end - Date.now()))) };
  const name = `swarm-ops-preflight-${randomBytes(6).toString('hex')}`;
  const id = await create(run, name, spec, runUntil);
  let result: { exitCode: number; output: string } | undefined;
  let failure: unknown;
  try {
    result = await startAndCollect(run, id, spec, runUntil, deadline - slack);
  } catch (err) {
    failure = err;
  }
  // always, even past the deadline: a container left behind holds the host's ports
  const left = await run
    .until(Math.max(deadline, Date.now() + slack))
    .delete<unknown>(`/containers/${id}`, { force: true })
    .then(
      () => undefined,
      (err: unknown) => (statusOf(err) === 404 ? undefined : err),
    );
  if (left !== undefined) {
    const after = failure instanceof Error ? ` after the run failed (${failure.message})` : '';
    throw new SwarmError(
      'CONFLICT',
      `The preflight container \`${name}\` could not be removed from ${url} (${dockerMessage(left)})${after}: remove it with \`docker rm -f ${name}\`.`,
      { cause: failure ?? left },
    );
  }
  if (failure !== undefined) throw failure;
  return result!;
}
