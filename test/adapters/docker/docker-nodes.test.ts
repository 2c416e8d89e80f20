import { describe, expect, it } from 'vitest';
import { DockerSwarm } from '../../../src/adapters/docker/docker-swarm.js';
import { dockerError, FakeConnector, pending, routes, type FakeDaemon } from '../../support/fake-endpoints.js';

const M1 = 'tcp://10.0.0.1:2376';
const M2 = 'tcp://10.0.0.2:2376';

function swarm(daemons: Record<string, FakeDaemon>) {
  const connector = new FakeConnector(daemons);
  const s = new DockerSwarm({ endpoints: Object.keys(daemons), ca: '', cert: '', key: '' }, { callTimeoutMs: 200, connectTimeoutMs: 100, connector });
  return { s, connector };
}

const gone = () => Promise.reject(dockerError(404, 'node w9 not found'));
const refused = (message: string) => () => Promise.reject(dockerError(400, message));

describe('nodes.remove', () => {
  it.each([
    [false, 'false'],
    [true, 'true'],
  ])('sends DELETE /nodes/{id} with force=%s', async (force) => {
    const { s, connector } = swarm({ [M1]: { answer: routes({ 'DELETE /nodes/w9': {} }) } });
    await s.nodes.remove('w9', { force });
    expect(connector.sent).toMatchObject([{ method: 'DELETE', path: '/nodes/w9', query: { force } }]);
  });

  it('a node that is not down: CONFLICT saying --force is needed', async () => {
    const { s } = swarm({ [M1]: { answer: routes({ 'DELETE /nodes/w9': refused("rpc error: code = FailedPrecondition desc = node w9 is not down and can't be removed") }) } });
    await expect(s.nodes.remove('w9', { force: false })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/--force/) });
  });

  it('a manager still in Raft: QUORUM_GUARD saying to demote it first', async () => {
    const msg = 'rpc error: code = FailedPrecondition desc = node m3 is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal';
    const { s } = swarm({ [M1]: { answer: routes({ 'DELETE /nodes/m3': refused(msg) }) } });
    await expect(s.nodes.remove('m3', { force: true })).rejects.toMatchObject({ code: 'QUORUM_GUARD', message: expect.stringMatching(/demote it first/) });
  });

  it('a removal that went through unconfirmed is read back (a 404 is gone), not sent again', async () => {
    const answer = routes({ 'DELETE /nodes/w9': pending, 'GET /nodes/w9': gone });
    const { s, connector } = swarm({ [M1]: { answer }, [M2]: { answer } });
    await s.nodes.remove('w9', { force: true });
    expect(connector.sent.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(connector.sent.filter((r) => r.method === 'GET' && r.path === '/nodes/w9')).toHaveLength(1);
  });

  it('an unconfirmed removal of a node that is still there stays UNCERTAIN', async () => {
    const { s } = swarm({ [M1]: { answer: routes({ 'DELETE /nodes/w9': pending, 'GET /nodes/w9': { ID: 'w9' } }) } });
    await expect(s.nodes.remove('w9', { force: false })).rejects.toMatchObject({ code: 'UNCERTAIN' });
  });

  it('a node already gone counts as removed', async () => {
    const { s } = swarm({ [M1]: { answer: routes({ 'DELETE /nodes/w9': gone }) } });
    await expect(s.nodes.remove('w9', { force: false })).resolves.toBeUndefined();
  });
});
