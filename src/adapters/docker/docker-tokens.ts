/** Join tokens: rotated in place, never read out of the adapter. */
import { SwarmError } from '../../errors.js';
import type { TokenKind, TokensWrite } from '../../ports.js';
import { dockerMessage } from './docker-errors.js';
import type { DockerSwarmSpec } from './docker-json.js';
import type { DockerTransport } from './docker-transport.js';
import { done, notDone, settleWrite } from './uncertain-write.js';

const KINDS = [
  ['worker', 'Worker'],
  ['manager', 'Manager'],
] as const;

/** which tokens differ between two reads of the swarm */
const changed = (a: DockerSwarmSpec, b: DockerSwarmSpec): TokenKind[] =>
  KINDS.filter(([, key]) => a.JoinTokens?.[key] !== b.JoinTokens?.[key]).map(([kind]) => kind);

export class DockerTokens implements TokensWrite {
  constructor(private readonly t: DockerTransport) {}

  private read(): Promise<DockerSwarmSpec> {
    return this.t.call((s) => s.get<DockerSwarmSpec>('/swarm'));
  }

  async rotate(kinds: TokenKind[]): Promise<{ rotated: TokenKind[] }> {
    const before = await this.read();
    let current = before;
    await settleWrite<void>({
      write: async () => {
        const query = { version: current.Version.Index, rotateWorkerToken: kinds.includes('worker'), rotateManagerToken: kinds.includes('manager') };
        await this.t.call((s) => s.post<unknown>('/swarm/update', current.Spec, query), { write: true });
      },
      // a rotation that went through must not be sent again; one that did not is sent with the fresh version
      readBack: async () => {
        current = await this.read();
        return kinds.every((k) => changed(before, current).includes(k)) ? done(undefined) : notDone;
      },
      attempts: 5,
      onRefused: (err) => new SwarmError('CONFLICT', `Docker refused the token rotation: ${dockerMessage(err)}`),
    });
    const after = await this.read().catch(() => undefined);
    return { rotated: after ? changed(before, after) : kinds };
  }
}
