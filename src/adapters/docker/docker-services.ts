/**
 * Services and their tasks: the list with status in one request, the tasks
 * of any number of services in one more, logs merged in time order, and
 * changes that send Docker's whole spec back with one thing changed.
 */
import { z } from 'zod';
import { SwarmError, UserFacingError } from '../../errors.js';
import type { LogLine, ServiceChange, ServicesRead, ServicesWrite, SwarmService, SwarmTask } from '../../ports.js';
import { dockerMessage, statusOf } from './docker-errors.js';
import { DockerService, DockerTask, logFrames, parsed, parseLogLine, specFingerprint, toSwarmService, toSwarmTask, type ServiceSpec } from './docker-service-json.js';
import type { DockerTransport } from './docker-transport.js';
import { done, notDone, settleWrite } from './uncertain-write.js';

export class DockerServices implements ServicesRead, ServicesWrite {
  constructor(private readonly t: DockerTransport) {}

  async list(): Promise<SwarmService[]> {
    const raw = await this.t.call((s) => s.get<unknown[]>('/services', { status: true }));
    return parsed(z.array(DockerService), raw, 'the services').map(toSwarmService);
  }

  private async raw(idOrName: string): Promise<DockerService | undefined> {
    try {
      return parsed(DockerService, await this.t.call((s) => s.get(`/services/${encodeURIComponent(idOrName)}`, { insertDefaults: false })), `service ${idOrName}`);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** One service with its running/desired counts: `GET /services/{id}` carries no ServiceStatus, the filtered list does. */
  async inspect(idOrName: string): Promise<SwarmService | undefined> {
    const d = await this.raw(idOrName);
    if (!d) return undefined;
    const listed = await this.t.call((s) => s.get<unknown[]>('/services', { status: true, filters: JSON.stringify({ id: [d.ID] }) }));
    const withStatus = parsed(z.array(DockerService), listed, `service ${idOrName}`).find((x) => x.ID === d.ID);
    return toSwarmService(withStatus ?? d);
  }

  async tasks(f: { serviceIds?: string[]; upToDate?: boolean } = {}): Promise<SwarmTask[]> {
    const filters: Record<string, string[]> = {};
    if (f.serviceIds) filters.service = f.serviceIds;
    if (f.upToDate) filters['_up-to-date'] = ['true'];
    if (f.serviceIds && !f.serviceIds.length) return [];
    const raw = await this.t.call((s) => s.get<unknown[]>('/tasks', Object.keys(filters).length ? { filters: JSON.stringify(filters) } : {}));
    return parsed(z.array(DockerTask), raw, 'the tasks').map(toSwarmTask);
  }

  async logs(serviceId: string, o: { sinceMs: number; tail: number }): Promise<{ lines: LogLine[]; errors: string[] }> {
    const body = await this.t.call(
      (s) => s.get<unknown>(`/services/${encodeURIComponent(serviceId)}/logs`, { stdout: 1, stderr: 1, timestamps: 1, details: 1, since: Math.floor(o.sinceMs / 1000), tail: o.tail }),
      { timeoutMs: 20_000 },
    );
    // docker-modem hands back a Buffer, or a value when the whole body happened to parse as JSON
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const lines: LogLine[] = [];
    const errors: string[] = [];
    for (const frame of logFrames(buf)) {
      for (const text of frame.text.split('\n').filter(Boolean)) {
        if (frame.stream === 3) errors.push(text);
        else {
          const line = parseLogLine(text, frame.stream === 2 ? 'stderr' : 'stdout');
          if (line) lines.push(line);
        }
      }
    }
    return { lines, errors };
  }

  async update(serviceId: string, change: ServiceChange): Promise<{ warnings: string[] }> {
    const before = await this.raw(serviceId);
    if (!before) throw new UserFacingError('NOT_FOUND', `The service is gone: nothing was changed.`);
    const wanted = intended(before, change);
    let warnings: string[] = [];
    await settleWrite({
      attempts: 4,
      write: async () => {
        const now = (await this.raw(serviceId)) ?? before;
        if (change.kind !== 'rollback' && wanted(now)) return;
        // a rollback goes to the spec before the one seen: after someone else's change it would go somewhere else
        if (change.kind === 'rollback' && specFingerprint(now.Spec) !== specFingerprint(before.Spec)) {
          throw new UserFacingError('CONFLICT', `\`${before.Spec.Name}\` was changed by someone else meanwhile: the rollback was not sent. Type \`/swarm service ${before.Spec.Name}\` to see what runs now.`);
        }
        const spec = change.kind === 'rollback' ? now.Spec : changed(now.Spec, change, before);
        const answer = await this.t.call(
          (s) => s.post<{ Warnings?: string[] | null }>(`/services/${encodeURIComponent(serviceId)}/update`, spec, { version: now.Version.Index, ...(change.kind === 'rollback' ? { rollback: 'previous' } : {}) }),
          { write: true },
        );
        warnings = answer?.Warnings ?? [];
      },
      readBack: async () => {
        const now = await this.raw(serviceId);
        return now && wanted(now) ? done(undefined) : notDone;
      },
      onRefused: (err) => refusedUpdate(before.Spec.Name, err),
    });
    return { warnings };
  }
}

/** When the change is in place: the count, the image, a restart counted, or the previous spec now current. */
function intended(before: DockerService, change: ServiceChange): (now: DockerService) => boolean {
  switch (change.kind) {
    case 'scale':
      return (now) => now.Spec.Mode.Replicated?.Replicas === change.replicas;
    case 'image':
      return (now) => now.Spec.TaskTemplate.ContainerSpec?.Image === change.image;
    case 'restart':
      return (now) => (now.Spec.TaskTemplate.ForceUpdate ?? 0) > (before.Spec.TaskTemplate.ForceUpdate ?? 0);
    case 'rollback': {
      const target = before.PreviousSpec ? specFingerprint(before.PreviousSpec) : undefined;
      return (now) => target !== undefined && specFingerprint(now.Spec) === target && now.Version.Index > before.Version.Index;
    }
  }
}

function changed(spec: ServiceSpec, change: ServiceChange, before: DockerService): ServiceSpec {
  const next = structuredClone(spec);
  if (change.kind === 'scale') next.Mode = { ...next.Mode, Replicated: { ...next.Mode.Replicated, Replicas: change.replicas } };
  if (change.kind === 'image') next.TaskTemplate.ContainerSpec = { ...next.TaskTemplate.ContainerSpec!, Image: change.image };
  if (change.kind === 'restart') next.TaskTemplate.ForceUpdate = (before.Spec.TaskTemplate.ForceUpdate ?? 0) + 1;
  return next;
}

function refusedUpdate(name: string, err: unknown): unknown {
  const msg = dockerMessage(err);
  if (/does not have a previous spec/i.test(msg)) return new UserFacingError('CONFLICT', `\`${name}\` has no previous spec to roll back to: nothing was changed.`);
  if (statusOf(err) === 404) return new UserFacingError('NOT_FOUND', `The service \`${name}\` is gone: nothing was changed.`);
  if (statusOf(err) === 400 || statusOf(err) === 409) return new SwarmError('VALIDATION', `Docker refused the change to \`${name}\`: ${msg}`);
  return err;
}
