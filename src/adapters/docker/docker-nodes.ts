/** Nodes: what the swarm and each manager say about them, and changes to one node. */
import { SwarmError } from '../../errors.js';
import type { DaemonInfo, InfoProbe, JoinRequest, NodeChange, NodesRead, NodesWrite, SwarmNode } from '../../ports.js';
import { classify, describeFailure, dockerMessage, statusOf } from './docker-errors.js';
import { joinNode } from './docker-join.js';
import { toDaemonInfo, toSwarmNode, type DockerInfo, type DockerNode } from './docker-json.js';
import type { DockerTransport, Session } from './docker-transport.js';
import type { Endpoint } from './docker-endpoint.js';
import { done, notDone, removeSettled, settleWrite } from './uncertain-write.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface NodeSpec {
  Role?: string;
  Availability?: string;
  Labels?: Record<string, string>;
  [key: string]: unknown;
}

interface InspectedNode {
  Version: { Index: number };
  Spec: NodeSpec;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** the node already is as asked, e.g. because an earlier attempt that timed out went through */
const asAsked = ({ Spec }: InspectedNode, change: NodeChange) =>
  (!change.role || Spec.Role === change.role) &&
  (!change.availability || Spec.Availability === change.availability) &&
  (!change.labels || sameLabels(Spec.Labels ?? {}, change.labels));

const changedSpec = (spec: NodeSpec, change: NodeChange): NodeSpec => ({
  ...spec,
  ...(change.role ? { Role: change.role } : {}),
  ...(change.availability ? { Availability: change.availability } : {}),
  ...(change.labels ? { Labels: { ...change.labels } } : {}),
});

function refusedNodeChange(err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if (statusOf(err) === 400 || /FailedPrecondition|quorum|last manager/i.test(msg)) return new SwarmError('QUORUM_GUARD', `Docker refused the change: ${msg}`);
  return new SwarmError('CONFLICT', `Docker refused the change: ${msg}`);
}

/** swarmkit's two refusals of a node removal (both FailedPrecondition), each with what to do instead */
function refusedRemoval(id: string, err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if (/must be demoted|is a cluster manager|is a manager/i.test(msg)) {
    return new SwarmError('QUORUM_GUARD', `Node \`${id}\` is still a manager: demote it first (it counts in the Raft quorum until then), then remove it.`);
  }
  if (/is not down/i.test(msg)) {
    return new SwarmError(
      'CONFLICT',
      `Node \`${id}\` is not down, so Docker keeps it: stop its daemon or run \`docker swarm leave\` on it first, or remove it with \`--force\`.`,
    );
  }
  return new SwarmError('CONFLICT', `Docker refused to remove node \`${id}\`: ${msg}`);
}

const infoThrough = async (s: Session): Promise<DaemonInfo> => toDaemonInfo(s.endpoint, await s.get<DockerInfo>('/info'), s.cert);

export class DockerNodes implements NodesRead, NodesWrite {
  constructor(private readonly t: DockerTransport) {}

  async list(): Promise<SwarmNode[]> {
    return (await this.t.call((s) => s.get<DockerNode[]>('/nodes'))).map(toSwarmNode);
  }

  info(): Promise<DaemonInfo> {
    return this.t.call(infoThrough);
  }

  probeManagers(): Promise<InfoProbe[]> {
    return Promise.all(this.t.endpoints.map((ep) => this.probe(ep)));
  }

  private async probe(ep: Endpoint): Promise<InfoProbe> {
    const signal = AbortSignal.timeout(this.t.probeTimeoutMs);
    const up = this.t.answersPing(ep, signal);
    try {
      return { endpoint: ep.url, daemonUp: true, info: await infoThrough(await this.t.session(ep, signal)) };
    } catch (err) {
      const daemonUp = await up;
      return {
        endpoint: ep.url,
        daemonUp,
        error: daemonUp ? 'daemon up, but /info did not answer in time' : describeFailure(classify(err) ?? 'unreachable', err),
      };
    }
  }

  /**
   * A join or unlock target is any address a person typed: whatever keeps it
   * from answering (refused, filtered, timed out, another CA, not Docker) is
   * one plain error, given no sooner than the call's time limit, so that
   * neither the words nor the time tell an open port from a closed one.
   */
  async inspectDaemon(url: string): Promise<DaemonInfo> {
    const started = Date.now();
    try {
      const daemon = await this.t.daemon(url);
      return await infoThrough(daemon.session(AbortSignal.timeout(this.t.callTimeoutMs)));
    } catch (err) {
      await sleep(this.t.callTimeoutMs - (Date.now() - started));
      throw new SwarmError(
        'ENDPOINTS_UNREACHABLE',
        `Can't reach a Docker daemon at ${url} that this cluster's CA vouches for (it may be down, not listening there, unreachable from swarm-ops, or using another CA). Nothing was sent to it.`,
        { cause: err },
      );
    }
  }

  async update(id: string, change: NodeChange): Promise<void> {
    const path = `/nodes/${encodeURIComponent(id)}`;
    const inspect = () => this.t.call((s) => s.get<InspectedNode>(path));
    let node = await inspect();
    if (asAsked(node, change)) return;
    await settleWrite<void>({
      write: async () => {
        await this.t.call((s) => s.post<unknown>(`${path}/update`, changedSpec(node.Spec, change), { version: node.Version.Index }), { write: true });
      },
      // a fresh version for the next attempt, unless the change is in place already
      readBack: async () => {
        node = await inspect();
        return asAsked(node, change) ? done(undefined) : notDone;
      },
      attempts: 5,
      onRefused: refusedNodeChange,
    });
  }

  /** gone is a 404 on the node: one already removed (by someone else, or by our own unconfirmed try) counts as done */
  remove(id: string, opts: { force: boolean }): Promise<void> {
    return removeSettled(this.t, `/nodes/${encodeURIComponent(id)}`, {
      missingIsDone: true,
      query: { force: opts.force },
      onRefused: (err) => refusedRemoval(id, err),
    });
  }

  join(req: JoinRequest): Promise<SwarmNode> {
    return joinNode(this.t, this, req);
  }
}
