/**
 * `npm start -- <command>`: runs a /swarm command locally and prints the
 * answer as text. With no configuration it uses the swarm lab (starting it
 * first if needed: root only). Point it elsewhere with SWARM_OPS_ENDPOINTS,
 * SWARM_OPS_CA, SWARM_OPS_CERT and SWARM_OPS_KEY (PEM file paths).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { labCredentials, runLocal, type LabDescription } from './composition/local.js';
import { runWatchOnce } from './composition/watch.js';
import type { ClusterCredentials } from './ports.js';
import { createStateClient, DynamoState } from './adapters/dynamo-state.js';
import { startLocalDynamo } from './adapters/local-dynamo.js';
import { FileUnlockKeys } from './adapters/file-unlock-keys.js';

const labDir = process.env.SWARM_LAB_DIR ?? '/tmp/swarm-ops-lab';
const labScript = path.resolve(import.meta.dirname, '../test/lab/lab.sh');

function credentials(): ClusterCredentials {
  const env = process.env;
  if (env.SWARM_OPS_ENDPOINTS) {
    return {
      endpoints: env.SWARM_OPS_ENDPOINTS.split(',').map((s) => s.trim()),
      ca: readFileSync(env.SWARM_OPS_CA ?? '', 'utf8'),
      cert: readFileSync(env.SWARM_OPS_CERT ?? '', 'utf8'),
      key: readFileSync(env.SWARM_OPS_KEY ?? '', 'utf8'),
    };
  }
  const labJson = path.join(labDir, 'lab.json');
  // cheap: the lab's description and its first daemon's socket; a node that is down is status's to report
  const lab = existsSync(labJson) ? (JSON.parse(readFileSync(labJson, 'utf8')) as { nodes: Array<{ socket?: string }> }) : undefined;
  const up = Boolean(lab?.nodes[0]?.socket && existsSync(lab.nodes[0].socket));
  if (!up) {
    console.error('No swarm configured: starting the local swarm lab (3 managers + 2 spare nodes)…');
    execFileSync('bash', [labScript, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return labCredentials(JSON.parse(readFileSync(labJson, 'utf8')) as LabDescription);
}

const text = process.argv.slice(2).join(' ') || 'help';
// the bot's table, embedded: dynalite in this process, the real AWS SDK pointed at it
const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-local-state' });
try {
  const history = new DynamoState(createStateClient(dynamo.clientConfig), dynamo.tableName);
  const needsSwarm = !/^\s*help\b/i.test(text);
  // `--watch-once`: one pass of the watch over the lab, its posts printed instead of sent
  const { output, ok } = text.trim() === '--watch-once' ? await runWatchOnce(credentials(), history) : await runLocal(text, needsSwarm ? credentials() : { endpoints: ['tcp://127.0.0.1:1'], ca: '', cert: '', key: '' }, history, history, new FileUnlockKeys(path.join(labDir, 'unlock-keys')));
  process.stdout.write(output);
  process.exitCode = ok ? 0 : 1;
} finally {
  await dynamo.close();
}
