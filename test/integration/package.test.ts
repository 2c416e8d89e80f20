/**
 * The deployable artifact itself against the real swarm: the worker and
 * rotate bundles that `serverless package` builds (dockerode, the ssh2 stub
 * and all) run a job end to end, with the AWS SDK pointed at the stand-ins.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackStandIn, startSsmStandIn } from '../support/stand-ins.js';
import { labParameters, labUnavailable, SIGNING_SECRET, STATE_TABLE, useLabEnvironment } from './harness.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local/local-dynamo.js';
import { signJob } from '../../src/domain/job-signature.js';
import { readLab } from './lab.js';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

describe.skipIf(labUnavailable())('the packaged bundles against the real swarm', () => {
  let dir = '';
  let ssm: Awaited<ReturnType<typeof startSsmStandIn>>;
  let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  let dynamo: LocalDynamo;
  const load = (fn: string): Handler => {
    const out = path.join(dir, fn);
    execFileSync('unzip', ['-qo', path.join(dir, `${fn}.zip`), '-d', out]);
    return (createRequire(import.meta.url)(path.join(out, 'src/handlers', `${fn}.js`)) as { handler: Handler }).handler;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'swarm-ops-artifact-'));
    execFileSync('npx', ['serverless', 'package', '--package', dir], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: 'pipe', timeout: 240_000 });
    ssm = await startSsmStandIn(labParameters(readLab()));
    slack = await startSlackStandIn();
    dynamo = await startLocalDynamo({ tableName: STATE_TABLE });
    useLabEnvironment({ ssmUrl: ssm.url, slackApiUrl: slack.apiUrl, dynamoUrl: dynamo.endpoint, responseUrlPrefix: slack.responseUrl('') });
  }, 300_000);

  afterAll(async () => {
    await Promise.all([ssm?.close(), slack?.close(), dynamo?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the worker bundle answers /swarm status from the lab', async () => {
    const worker = load('worker');
    await worker(
      signJob({
        kind: 'command',
        requestId: 'artifact1',
        text: 'status',
        command: 'status',
        cluster: 'lab',
        user: 'U0VIEW',
        channel: 'C0PRODOPS',
        responseUrl: slack.responseUrl('artifact1'),
        issuedAt: new Date().toISOString(),
      }, SIGNING_SECRET),
      {},
    );
    const answer = slack.responses.find((r) => r.id === 'artifact1')!.body;
    expect(answer['response_type']).toBe('in_channel');
    expect(String(answer['text'])).toMatch(/Swarm lab: (healthy|degraded)/);
    expect(JSON.stringify(answer)).toContain('lab-n1');
  });

  it('the rotate bundle rotates on a schedule tick and audits it', async () => {
    const before = slack.posts.length;
    const results = (await load('rotate')({ id: `artifact-tick-${Date.now()}`, source: 'aws.events' }, {})) as Array<{ cluster: string; outcome: string }>;
    expect(results).toEqual([expect.objectContaining({ cluster: 'lab', outcome: 'succeeded' })]);
    expect(JSON.stringify(slack.posts.slice(before))).toMatch(/scheduled/);
    expect(slack.transcript()).not.toMatch(/SWMTKN-/);
  });
});
