/**
 * Docker's service and task JSON as the bot reads it (zod, passthrough so a
 * spec can be sent back whole), mapped to the port's shapes; and the log
 * stream's frames and lines. What a service command or the watch shows comes
 * from here: names of secrets, configs and env variables, never their values.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SwarmError } from '../../errors.js';
import type { LogLine, SwarmService, SwarmTask, UpdateState } from '../../ports.js';

const STACK_LABEL = 'com.docker.stack.namespace';
const NS = 1_000_000;

const UpdateConfig = z.object({ Parallelism: z.number(), Delay: z.number(), FailureAction: z.string(), Monitor: z.number(), Order: z.string() }).partial().passthrough();
const Port = z.object({ PublishedPort: z.number(), TargetPort: z.number(), Protocol: z.string(), PublishMode: z.string() }).partial().passthrough();
export const ServiceSpec = z
  .object({
    Name: z.string(),
    Labels: z.record(z.string()).nullish(),
    TaskTemplate: z
      .object({
        ContainerSpec: z
          .object({
            Image: z.string().default(''),
            TTY: z.boolean().optional(),
            Env: z.array(z.string()).nullish(),
            Secrets: z.array(z.object({ SecretName: z.string() }).passthrough()).nullish(),
            Configs: z.array(z.object({ ConfigName: z.string() }).passthrough()).nullish(),
          })
          .passthrough()
          .optional(),
        ForceUpdate: z.number().optional(),
        LogDriver: z.object({ Name: z.string() }).passthrough().nullish(),
        Placement: z.object({ Constraints: z.array(z.string()).nullish() }).passthrough().nullish(),
        Networks: z.array(z.object({ Target: z.string() }).passthrough()).nullish(),
      })
      .passthrough(),
    Mode: z.object({ Replicated: z.object({ Replicas: z.number().optional() }).passthrough().optional(), Global: z.object({}).passthrough().optional() }).passthrough(),
    UpdateConfig: UpdateConfig.nullish(),
    EndpointSpec: z.object({ Ports: z.array(Port).nullish() }).passthrough().nullish(),
  })
  .passthrough();
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const DockerService = z.object({
  ID: z.string(),
  Version: z.object({ Index: z.number() }),
  UpdatedAt: z.string().optional(),
  Spec: ServiceSpec,
  PreviousSpec: ServiceSpec.nullish(),
  UpdateStatus: z.object({ State: z.string(), Message: z.string(), StartedAt: z.string(), CompletedAt: z.string() }).partial().nullish(),
  ServiceStatus: z.object({ RunningTasks: z.number(), DesiredTasks: z.number() }).partial().nullish(),
});
export type DockerService = z.infer<typeof DockerService>;

export const DockerTask = z.object({
  ID: z.string(),
  ServiceID: z.string(),
  Slot: z.number().optional(),
  NodeID: z.string().optional(),
  DesiredState: z.string().default(''),
  Status: z.object({
    Timestamp: z.string().optional(),
    State: z.string().default(''),
    Message: z.string().optional(),
    Err: z.string().optional(),
    ContainerStatus: z.object({ ExitCode: z.number().optional() }).passthrough().nullish(),
  }),
  Spec: z.object({ ContainerSpec: z.object({ Image: z.string().optional() }).passthrough().nullish() }).passthrough().nullish(),
});

export function parsed<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new SwarmError('CONFLICT', `Docker's answer for ${what} was not understood (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}).`);
  return r.data;
}

/** What identifies a spec for a person: image, replicas, restarts, env names, ports, constraints (never env values). */
export function specFingerprint(spec: ServiceSpec): string {
  const c = spec.TaskTemplate.ContainerSpec;
  const key = JSON.stringify([
    c?.Image,
    spec.Mode.Replicated?.Replicas ?? 'global',
    spec.TaskTemplate.ForceUpdate ?? 0,
    (c?.Env ?? []).map((e) => createHash('sha256').update(e).digest('hex').slice(0, 12)).sort(),
    (spec.EndpointSpec?.Ports ?? []).map((p) => `${p.PublishedPort}:${p.TargetPort}/${p.Protocol}`).sort(),
    [...(spec.TaskTemplate.Placement?.Constraints ?? [])].sort(),
  ]);
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

const date = (s?: string) => (s && !s.startsWith('0001-') ? new Date(s) : undefined);

export function toSwarmService(d: DockerService): SwarmService {
  const spec = d.Spec;
  const c = spec.TaskTemplate.ContainerSpec;
  const u = spec.UpdateConfig ?? {};
  const mode = spec.Mode.Global ? 'global' : spec.Mode.Replicated ? 'replicated' : 'job';
  const replicas = spec.Mode.Replicated?.Replicas ?? (mode === 'replicated' ? 1 : undefined);
  const stack = spec.Labels?.[STACK_LABEL];
  return {
    id: d.ID,
    name: spec.Name,
    version: d.Version.Index,
    mode,
    ...(replicas !== undefined ? { replicas } : {}),
    running: d.ServiceStatus?.RunningTasks ?? 0,
    desired: d.ServiceStatus?.DesiredTasks ?? replicas ?? 0,
    image: c?.Image ?? '',
    ...(stack ? { stack } : {}),
    ...(d.UpdateStatus?.State
      ? {
          update: {
            state: d.UpdateStatus.State as UpdateState,
            message: d.UpdateStatus.Message ?? '',
            ...(date(d.UpdateStatus.StartedAt) ? { startedAt: date(d.UpdateStatus.StartedAt)! } : {}),
            ...(date(d.UpdateStatus.CompletedAt) ? { completedAt: date(d.UpdateStatus.CompletedAt)! } : {}),
          },
        }
      : {}),
    updateConfig: {
      parallelism: u.Parallelism ?? 1,
      delayMs: (u.Delay ?? 0) / NS,
      failureAction: u.FailureAction ?? 'pause',
      monitorMs: (u.Monitor ?? 5_000 * NS) / NS,
      order: u.Order ?? 'stop-first',
    },
    ...(d.PreviousSpec
      ? {
          previous: {
            image: d.PreviousSpec.TaskTemplate.ContainerSpec?.Image ?? '',
            ...(d.PreviousSpec.Mode.Replicated?.Replicas !== undefined ? { replicas: d.PreviousSpec.Mode.Replicated.Replicas } : {}),
            fingerprint: specFingerprint(d.PreviousSpec),
          },
        }
      : {}),
    forceUpdate: spec.TaskTemplate.ForceUpdate ?? 0,
    tty: c?.TTY ?? false,
    ...(spec.TaskTemplate.LogDriver?.Name ? { logDriver: spec.TaskTemplate.LogDriver.Name } : {}),
    ports: (spec.EndpointSpec?.Ports ?? []).map((p) => ({
      ...(p.PublishedPort !== undefined ? { published: p.PublishedPort } : {}),
      ...(p.TargetPort !== undefined ? { target: p.TargetPort } : {}),
      protocol: p.Protocol ?? 'tcp',
      mode: p.PublishMode ?? 'ingress',
    })),
    constraints: spec.TaskTemplate.Placement?.Constraints ?? [],
    networks: (spec.TaskTemplate.Networks ?? []).map((n) => n.Target),
    secrets: (c?.Secrets ?? []).map((s) => s.SecretName),
    configs: (c?.Configs ?? []).map((s) => s.ConfigName),
    envNames: (c?.Env ?? []).map((e) => e.split('=')[0]!),
    fingerprint: specFingerprint(spec),
    ...(date(d.UpdatedAt) ? { updatedAt: date(d.UpdatedAt)! } : {}),
  };
}

export function toSwarmTask(t: z.infer<typeof DockerTask>): SwarmTask {
  const exit = t.Status.ContainerStatus?.ExitCode;
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    ...(t.Slot !== undefined && t.Slot > 0 ? { slot: t.Slot } : {}),
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    state: t.Status.State,
    desiredState: t.DesiredState,
    message: t.Status.Message ?? '',
    ...(t.Status.Err ? { error: t.Status.Err } : {}),
    ...(exit !== undefined && ['failed', 'complete', 'shutdown'].includes(t.Status.State) ? { exitCode: exit } : {}),
    image: t.Spec?.ContainerSpec?.Image ?? '',
    at: date(t.Status.Timestamp) ?? new Date(0),
  };
}

/** Docker's log frames, their stream kept: 1 stdout, 2 stderr, 3 Docker's own errors; a TTY service's body has no frames. */
export function logFrames(buf: Buffer): Array<{ stream: 1 | 2 | 3; text: string }> {
  const framed = buf.length >= 8 && buf[0]! >= 1 && buf[0]! <= 3 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return [{ stream: 1, text: buf.toString('utf8') }];
  const out: Array<{ stream: 1 | 2 | 3; text: string }> = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out.push({ stream: buf[i] as 1 | 2 | 3, text: buf.subarray(i + 8, i + 8 + size).toString('utf8') });
    i += 8 + size;
  }
  return out;
}

/** `<RFC3339Nano> k=v,k=v <text>` (timestamps=1, details=1): a line and the task and node it came from. */
export function parseLogLine(line: string, stream: 'stdout' | 'stderr'): LogLine | undefined {
  const m = /^(\S+) (\S*) ?(.*)$/s.exec(line);
  if (!m || !/^\d{4}-\d\d-\d\dT/.test(m[1]!)) return undefined;
  const details = new Map(
    m[2]!
      .split(',')
      .map((kv) => kv.split('='))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k!, decodeURIComponent(v!.replace(/\+/g, ' '))]),
  );
  const taskId = details.get('com.docker.swarm.task.id');
  // without details the second word is the text's own
  const text = taskId ? m[3]! : `${m[2]} ${m[3]}`.trim();
  return { at: m[1]!, taskId: taskId ?? '', nodeId: details.get('com.docker.swarm.node.id') ?? '', stream, text };
}
