/** The overlay probe: a short-lived global service, its tasks and its logs. */
import type { GlobalServiceSpec, ProbeServices, ServiceTask } from '../../ports.js';
import { demuxDockerStream, type DockerTask } from './docker-json.js';
import type { DockerTransport } from './docker-transport.js';
import { done, removeSettled, settleWrite } from './uncertain-write.js';

function serviceBody(spec: GlobalServiceSpec): object {
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: {
      ContainerSpec: { Image: spec.image, Command: spec.command, Env: spec.env, StopGracePeriod: 1_000_000_000 },
      Networks: [{ Target: spec.networkId }],
      RestartPolicy: { Condition: 'none' },
      Resources: { Limits: { MemoryBytes: 32 * 1024 * 1024 } },
    },
    Mode: { Global: {} },
    // DNS round robin: the probe needs no virtual IP (and IPVS may be absent)
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

const toServiceTask = (t: DockerTask): ServiceTask => ({
  id: t.ID,
  nodeId: t.NodeID ?? '',
  state: t.Status?.State ?? 'unknown',
  desiredState: t.DesiredState ?? '',
  addresses: (t.NetworksAttachments ?? [])
    .filter((a) => !a.Network?.Spec?.Ingress)
    .flatMap((a) => a.Addresses ?? [])
    .map((a) => a.split('/')[0]!),
  ...(t.Status?.Err ? { error: t.Status.Err } : {}),
});

const filterBy = (key: string, value: string) => ({ filters: JSON.stringify({ [key]: [value] }) });

export class DockerProbe implements ProbeServices {
  constructor(private readonly t: DockerTransport) {}

  create(spec: GlobalServiceSpec): Promise<string> {
    return settleWrite({
      write: () =>
        this.t.call(async (s) => {
          const out = await s.post<{ ID?: string; id?: string }>('/services/create', serviceBody(spec));
          return out.ID ?? out.id ?? '';
        }, { write: true }),
      // by name: the probe may exist even though Docker did not say so in time (a 404 leaves it uncertain)
      readBack: async () => done((await this.t.call((s) => s.get<{ ID: string }>(`/services/${encodeURIComponent(spec.name)}`))).ID),
    });
  }

  async tasks(serviceId: string): Promise<ServiceTask[]> {
    return (await this.t.call((s) => s.get<DockerTask[]>('/tasks', filterBy('service', serviceId)))).map(toServiceTask);
  }

  async logs(serviceId: string): Promise<string> {
    const raw = await this.t.call((s) =>
      s.get<Buffer | string>(`/services/${encodeURIComponent(serviceId)}/logs`, { stdout: true, stderr: true, follow: false }),
    );
    return demuxDockerStream(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  remove(serviceId: string): Promise<void> {
    return removeSettled(this.t, `/services/${encodeURIComponent(serviceId)}`, { missingIsDone: true });
  }

  async labelled(label: string): Promise<Array<{ id: string; name: string; createdAt: Date }>> {
    const raw = await this.t.call((s) => s.get<Array<{ ID: string; CreatedAt?: string; Spec?: { Name?: string } }>>('/services', filterBy('label', label)));
    return raw.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID, createdAt: new Date(s.CreatedAt ?? 0) }));
  }
}
