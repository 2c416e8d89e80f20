import { describe, expect, it } from 'vitest';
import { DockerTransport } from '../../../src/adapters/docker/docker-transport.js';
import { done, notDone, removeSettled, settleWrite, type Outcome } from '../../../src/adapters/docker/uncertain-write.js';
import { SwarmError } from '../../../src/errors.js';
import { dockerError, FakeConnector, pending, type Answer } from '../../support/fake-endpoints.js';

const uncertain = () => new SwarmError('UNCERTAIN', 'm1 did not confirm the change in time; it may or may not have happened.');
const outOfSequence = () => dockerError(500, 'rpc error: code = Unknown desc = update out of sequence');
const conflict = (err: unknown) => new SwarmError('CONFLICT', `Docker refused: ${(err as Error).message}`);

/** A write that fails as listed, one failure a call, then answers `result`; and a scripted read-back. */
function script<W>(failures: unknown[], result: W, readBacks: Array<Outcome<W> | Error>) {
  const calls = { writes: 0, readBacks: 0 };
  return {
    calls,
    write: async () => {
      const failure = failures[calls.writes++];
      if (failure) throw failure;
      return result;
    },
    readBack: async () => {
      const next = readBacks[calls.readBacks++];
      if (!next) throw new Error('read back more often than scripted');
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('settleWrite', () => {
  it.each([
    ['a write that answers is not read back', [], [], 'written', { writes: 1, readBacks: 0 }],
    ['an uncertain write found done is a success, not sent again', [uncertain()], [done('found')], 'found', { writes: 1, readBacks: 1 }],
    ['an uncertain write found not done is sent again', [uncertain()], [notDone], 'written', { writes: 2, readBacks: 1 }],
    ['out of sequence: re-read and sent again, twice', [outOfSequence(), outOfSequence()], [notDone, notDone], 'written', { writes: 3, readBacks: 2 }],
    ['out of sequence but found in place: not sent again', [outOfSequence()], [done('found')], 'found', { writes: 1, readBacks: 1 }],
  ] as Array<[string, unknown[], Array<Outcome<string>>, string, { writes: number; readBacks: number }]>)('%s', async (_, failures, readBacks, result, calls) => {
    const s = script(failures, 'written', readBacks);
    expect(await settleWrite({ ...s, attempts: 5, onRefused: conflict })).toBe(result);
    expect(s.calls).toEqual(calls);
  });

  it('with one attempt, an uncertain write found not done stays UNCERTAIN', async () => {
    const first = uncertain();
    const s = script([first], 'never', [notDone]);
    await expect(settleWrite({ ...s, onRefused: conflict })).rejects.toBe(first);
    expect(s.calls).toEqual({ writes: 1, readBacks: 1 });
  });

  it('when the read-back fails, the UNCERTAIN error surfaces (not the read-back error)', async () => {
    const first = uncertain();
    const s = script([first], 'never', [new Error('read failed')]);
    await expect(settleWrite({ ...s, attempts: 5 })).rejects.toBe(first);
    expect(s.calls).toEqual({ writes: 1, readBacks: 1 });
  });

  it('out of sequence every time: gives up after the attempts with the refusal mapped', async () => {
    const s = script(Array.from({ length: 10 }, outOfSequence), 'never', Array.from({ length: 10 }, () => notDone));
    const err = await settleWrite({ ...s, attempts: 5, onRefused: conflict }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/out of sequence/) });
    expect(s.calls).toEqual({ writes: 5, readBacks: 5 });
  });

  it("maps Docker's refusal without reading back", async () => {
    const s = script([dockerError(409, 'network with name x already exists')], 'never', []);
    await expect(settleWrite({ ...s, attempts: 5, onRefused: conflict })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(s.calls).toEqual({ writes: 1, readBacks: 0 });
  });

  it("passes Docker's refusal on as it is when no mapping is given", async () => {
    const refusal = dockerError(500, 'something else');
    await expect(settleWrite({ ...script([refusal], 'never', []) })).rejects.toBe(refusal);
  });

  it('our own errors (no leader, TLS …) surface as they are, unmapped and without read-back', async () => {
    const lost = new SwarmError('QUORUM_LOST', 'The swarm has no leader.');
    const s = script([lost], 'never', []);
    await expect(settleWrite({ ...s, attempts: 5, onRefused: conflict })).rejects.toBe(lost);
    expect(s.calls).toEqual({ writes: 1, readBacks: 0 });
  });
});

describe('removeSettled over the transport', () => {
  const M = 'tcp://10.0.0.1:2376';
  function removal(onDelete: Answer, onGet: Answer) {
    const connector = new FakeConnector({ [M]: { answer: (req) => (req.method === 'DELETE' ? onDelete(req) : onGet(req)) } });
    const t = new DockerTransport({ endpoints: [M], ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
    return { t, connector };
  }
  const missing = () => Promise.reject(dockerError(404, 'no such config'));

  it('a delete that timed out is done when the object reads back as missing', async () => {
    const { t, connector } = removal(pending, missing);
    await removeSettled(t, '/configs/c1', { missingIsDone: false });
    expect(connector.to(M, 'DELETE /configs/c1')).toHaveLength(1);
    expect(connector.to(M, 'GET /configs/c1')).toHaveLength(1);
  });

  it('a delete that timed out and still reads back as present is UNCERTAIN, and not sent again', async () => {
    const { t, connector } = removal(pending, () => ({ ID: 'c1' }));
    await expect(removeSettled(t, '/configs/c1', { missingIsDone: true })).rejects.toMatchObject({ code: 'UNCERTAIN' });
    expect(connector.to(M, 'DELETE /configs/c1')).toHaveLength(1);
  });

  it('a 404 to the delete itself is done only when missing counts as done', async () => {
    await removeSettled(removal(missing, missing).t, '/services/s1', { missingIsDone: true });
    await expect(removeSettled(removal(missing, missing).t, '/networks/n1', { missingIsDone: false, onRefused: conflict })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
