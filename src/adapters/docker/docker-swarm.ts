/**
 * The swarm over dockerode and mutual TLS, by concern, all over one
 * transport: one negotiated client per manager, one fail-over order, and one
 * `activeEndpoint` for whatever answered last.
 */
import type { ClusterCredentials, Swarm } from '../../ports.js';
import { DockerCluster } from './docker-cluster.js';
import { DockerDaemons } from './docker-daemons.js';
import { DockerLegacyState } from './docker-legacy-state.js';
import { DockerNetworks } from './docker-networks.js';
import { DockerNodes } from './docker-nodes.js';
import { DockerProbe } from './docker-probe.js';
import { DockerServices } from './docker-services.js';
import { DockerTokens } from './docker-tokens.js';
import { DockerTransport, type DockerSwarmOptions } from './docker-transport.js';

export type { LegacyState } from './docker-legacy-state.js';
export type { KeptClusterSettings } from './docker-daemons.js';

export class DockerSwarm implements Swarm {
  readonly cluster: DockerCluster;
  /** one daemon's own API (unlock, recovery, leave, preflight), with the cluster's client certificate */
  readonly daemons: DockerDaemons;
  readonly nodes: DockerNodes;
  readonly networks: DockerNetworks;
  readonly services: DockerServices;
  readonly tokens: DockerTokens;
  readonly probe: DockerProbe;
  /** Docker configs an earlier version left behind (`swarm-ops.op.*`, `swarm-ops.pending.*`) */
  readonly legacyState: DockerLegacyState;
  private readonly transport: DockerTransport;

  /** `opts.connector` replaces the TLS connection to the endpoints, e.g. with a fake in unit tests */
  constructor(creds: ClusterCredentials, opts: DockerSwarmOptions = {}) {
    this.transport = new DockerTransport(creds, opts);
    this.cluster = new DockerCluster(this.transport);
    this.daemons = new DockerDaemons(this.transport);
    this.nodes = new DockerNodes(this.transport);
    this.networks = new DockerNetworks(this.transport);
    this.services = new DockerServices(this.transport);
    this.tokens = new DockerTokens(this.transport);
    this.probe = new DockerProbe(this.transport);
    this.legacyState = new DockerLegacyState(this.transport);
  }

  /** the preflight's view of a join target: images and a short-lived container, nothing else */
  get targets(): Pick<DockerDaemons, 'hasImage' | 'runOnce'> {
    return this.daemons;
  }

  get activeEndpoint(): string | undefined {
    return this.transport.activeEndpoint;
  }
}
