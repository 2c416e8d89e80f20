/** Networks: listing, who uses one, and overlays created and removed. */
import { SwarmError } from '../../errors.js';
import type { NetworkUsage, NetworksRead, NetworksWrite, OverlaySpec, SwarmNetwork } from '../../ports.js';
import { dockerMessage, statusOf } from './docker-errors.js';
import { toSwarmNetwork, type DockerNetwork } from './docker-json.js';
import type { DockerTransport } from './docker-transport.js';
import { compareVersions } from './docker-endpoint.js';
import { done, notDone, removeSettled, settleWrite } from './uncertain-write.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REQUEST_LABEL = 'swarm-ops.request';

function overlayBody(spec: OverlaySpec, apiVersion: string): object {
  return {
    Name: spec.name,
    Driver: 'overlay',
    Scope: 'swarm',
    Attachable: spec.attachable,
    // before API 1.44 the daemon only refuses a duplicate name when asked to
    ...(compareVersions(apiVersion, '1.44') < 0 ? { CheckDuplicate: true } : {}),
    Options: spec.encrypted ? { encrypted: '' } : {},
    Labels: spec.labels ?? {},
    ...(spec.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, ...(spec.gateway ? { Gateway: spec.gateway } : {}) }] } } : {}),
  };
}

function refusedOverlay(spec: OverlaySpec, err: unknown): unknown {
  const status = statusOf(err);
  if (status === 409 || /name conflicts with an existing object/i.test(dockerMessage(err)))
    return new SwarmError('CONFLICT', `A network named \`${spec.name}\` (in any letter case) already exists; nothing was created.`);
  if (status === 403 || status === 400) return new SwarmError('VALIDATION', `Docker refused the network: ${dockerMessage(err)}`);
  return err;
}

interface VerboseNetwork {
  Name?: string;
  Containers?: Record<string, unknown> | null;
  Services?: Record<string, { Tasks?: unknown[] | null }> | null;
}

interface ServiceNetworks {
  Spec?: { Name?: string; TaskTemplate?: { Networks?: Array<{ Target?: string }> }; Networks?: Array<{ Target?: string }> };
}

export class DockerNetworks implements NetworksRead, NetworksWrite {
  constructor(private readonly t: DockerTransport) {}

  async list(): Promise<SwarmNetwork[]> {
    return (await this.t.call((s) => s.get<DockerNetwork[]>('/networks'))).map(toSwarmNetwork);
  }

  private inspect(idOrName: string): Promise<DockerNetwork> {
    return this.t.call((s) => s.get<DockerNetwork>(`/networks/${encodeURIComponent(idOrName)}`));
  }

  async createOverlay(spec: OverlaySpec): Promise<SwarmNetwork> {
    const request = spec.labels?.[REQUEST_LABEL];
    const id = await settleWrite({
      write: () =>
        this.t.call(async (s) => {
          const created = await s.post<{ Id?: string; id?: string }>('/networks/create', overlayBody(spec, s.apiVersion));
          return created.Id ?? created.id ?? '';
        }, { write: true }),
      // ours only if it carries this request's label: a network of the same name may be anyone's
      readBack: async () => {
        const found = await this.inspect(spec.name);
        return request && found.Labels?.[REQUEST_LABEL] === request ? done(found.Id) : notDone;
      },
      onRefused: (err) => refusedOverlay(spec, err),
    });
    return this.allocated(id, spec);
  }

  /**
   * Swarm allocates the network after it answered; one it can't allocate (e.g.
   * its gateway is taken) stays without driver and subnet. Report only what was
   * really set up, and take back what was not.
   */
  private async allocated(id: string, spec: OverlaySpec): Promise<SwarmNetwork> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const net = toSwarmNetwork(await this.inspect(id));
      if (net.driver === 'overlay' && (!spec.subnet || net.subnets.length)) return net;
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    const removed = await this.remove(id).then(
      () => true,
      () => false,
    );
    const why = spec.subnet ? ` (is ${spec.subnet}${spec.gateway ? ` or gateway ${spec.gateway}` : ''} already in use?)` : '';
    throw new SwarmError(
      'CONFLICT',
      removed
        ? `Docker accepted \`${spec.name}\` but could not allocate it${why}, so it was removed again; nothing was created.`
        : `Docker accepted \`${spec.name}\` but could not allocate it${why}, and removing it failed: remove it with \`docker network rm ${spec.name}\`.`,
    );
  }

  remove(id: string): Promise<void> {
    return removeSettled(this.t, `/networks/${encodeURIComponent(id)}`, {
      missingIsDone: false,
      onRefused: (err) => new SwarmError('CONFLICT', `Docker refused to remove the network: ${dockerMessage(err)}`),
    });
  }

  async usage(id: string): Promise<NetworkUsage> {
    // services that name the network in their spec (even before a task runs) ...
    const specs = await this.t.call((s) => s.get<ServiceNetworks[]>('/services'));
    const net = await this.t.call((s) => s.get<VerboseNetwork>(`/networks/${encodeURIComponent(id)}`, { verbose: true }));
    const targets = new Set([id, net.Name ?? '']);
    const named = specs
      .filter((s) => [...(s.Spec?.TaskTemplate?.Networks ?? []), ...(s.Spec?.Networks ?? [])].some((n) => targets.has(n.Target ?? '')))
      .map((s) => s.Spec?.Name ?? '?');
    // ... and what the swarm sees attached: tasks of services, standalone containers on the answering manager
    const attached = Object.keys(net.Services ?? {}).filter(Boolean);
    const tasks = Object.values(net.Services ?? {}).reduce((n, s) => n + (s.Tasks?.length ?? 0), 0);
    const local = Object.keys(net.Containers ?? {}).filter((k) => !k.startsWith('lb-') && k !== 'ingress-sbox').length;
    return { services: [...new Set([...named, ...attached])].sort(), containers: Math.max(tasks, local) };
  }
}
