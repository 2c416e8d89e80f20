/**
 * What an earlier version of swarm-ops kept in the swarm as Docker configs
 * (operation claims and pending approvals), for a one-off clean-up. The bot
 * keeps its state elsewhere now and writes no configs.
 */
import type { DockerTransport } from './docker-transport.js';
import { removeSettled } from './uncertain-write.js';

const PREFIXES = ['swarm-ops.op.', 'swarm-ops.pending.'];

export interface LegacyState {
  list(): Promise<Array<{ id: string; name: string }>>;
  remove(id: string): Promise<void>;
}

export class DockerLegacyState implements LegacyState {
  constructor(private readonly t: DockerTransport) {}

  async list(): Promise<Array<{ id: string; name: string }>> {
    // Docker matches `name` filters loosely (by prefix or substring, by version): the prefix is checked here again
    const configs = await this.t.call((s) =>
      s.get<Array<{ ID: string; Spec?: { Name?: string } }>>('/configs', { filters: JSON.stringify({ name: PREFIXES }) }),
    );
    return configs
      .map((c) => ({ id: c.ID, name: c.Spec?.Name ?? '' }))
      .filter((c) => PREFIXES.some((p) => c.name.startsWith(p)));
  }

  remove(id: string): Promise<void> {
    return removeSettled(this.t, `/configs/${encodeURIComponent(id)}`, { missingIsDone: true });
  }
}
