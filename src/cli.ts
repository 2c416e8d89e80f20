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
import type { ClusterCredentials } from './ports.js';

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

const text = process.argv.slice(2).join(' ');
const { output, ok } = await runLocal(text || 'help', credentials());
process.stdout.write(output);
process.exitCode = ok ? 0 : 1;
