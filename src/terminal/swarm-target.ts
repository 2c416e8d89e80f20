/**
 * Which swarm the local runner and the conversation talk to, in this order:
 * `SWARM_OPS_ENDPOINTS` with `SWARM_OPS_CA`/`_CERT`/`_KEY` (PEM files);
 * Docker's own `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`
 * (ca.pem, cert.pem, key.pem, as `docker --tlsverify` reads them); else the
 * swarm lab on this machine, started on first use. What is missing is said
 * exactly, with how to get it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerApiUrl } from '../commands/validators.js';
import { labCredentials, type LabDescription } from '../composition/one-shot-root.js';
import type { ClusterCredentials } from '../ports.js';

/** A setup problem on this machine: its message says what is missing and how to get it. */
export class LocalSetupError extends Error {
  override name = 'LocalSetupError';
}

export interface SwarmTarget {
  /** `lab`, or `local` for a swarm named by the environment */
  cluster: string;
  creds: ClusterCredentials;
  /** where the credentials came from, for the welcome line */
  source: string;
  probeImage: string;
  /** the lab's nodes started outside the swarm, to try a join with */
  spares?: Array<{ name: string; url: string }>;
  /** false: the hosts can't carry IPsec, so encrypted overlays pass no traffic (the lab's kernel) */
  ipsec?: boolean;
}

const ELSEWHERE =
  'point at a swarm you have: DOCKER_HOST=tcp://MANAGER:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR (holding ca.pem, cert.pem and key.pem, as for `docker --tlsverify`), ' +
  'or SWARM_OPS_ENDPOINTS=tcp://m1:2376,tcp://m2:2376 with SWARM_OPS_CA, SWARM_OPS_CERT and SWARM_OPS_KEY (PEM file paths).';

export const labDir = (env: NodeJS.ProcessEnv = process.env): string => env.SWARM_LAB_DIR ?? '/tmp/swarm-ops-lab';
export const LAB_SCRIPT = path.resolve(import.meta.dirname, '../../test/lab/lab.sh');

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `can't be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    throw new LocalSetupError(`${what} ${why}.`);
  }
}

function endpointsFrom(text: string, variable: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((raw) => {
      const url = dockerApiUrl.safeParse(raw);
      if (!url.success) throw new LocalSetupError(`${variable}: ${url.error.issues[0]?.message.replace(/`/g, '')}.`);
      return url.data.url;
    });
}

/** The swarm the environment names, or undefined when it names none. */
export function envTarget(env: NodeJS.ProcessEnv = process.env): SwarmTarget | undefined {
  if (env.SWARM_OPS_ENDPOINTS) {
    const unset = (['SWARM_OPS_CA', 'SWARM_OPS_CERT', 'SWARM_OPS_KEY'] as const).filter((v) => !env[v]);
    if (unset.length) {
      throw new LocalSetupError(
        `SWARM_OPS_ENDPOINTS is set, but ${unset.join(', ')} ${unset.length > 1 ? 'are' : 'is'} not: set SWARM_OPS_CA to the PEM file of the CA that signed the managers' certificates, ` +
          'and SWARM_OPS_CERT and SWARM_OPS_KEY to a client certificate that CA signed and its key.',
      );
    }
    return {
      cluster: 'local',
      source: 'SWARM_OPS_ENDPOINTS',
      probeImage: 'alpine:3',
      creds: {
        endpoints: endpointsFrom(env.SWARM_OPS_ENDPOINTS, 'SWARM_OPS_ENDPOINTS'),
        ca: readPem(env.SWARM_OPS_CA!, `SWARM_OPS_CA=${env.SWARM_OPS_CA}`),
        cert: readPem(env.SWARM_OPS_CERT!, `SWARM_OPS_CERT=${env.SWARM_OPS_CERT}`),
        key: readPem(env.SWARM_OPS_KEY!, `SWARM_OPS_KEY=${env.SWARM_OPS_KEY}`),
      },
    };
  }
  const host = env.DOCKER_HOST;
  if (!host) return undefined;
  if (!/^(tcp|https):\/\//i.test(host)) {
    throw new LocalSetupError(
      `DOCKER_HOST=${host} is not a TCP address: swarm-ops reaches managers over TCP with mutual TLS, as it will from Lambda. ` +
        'Set DOCKER_HOST=tcp://MANAGER:2376 (several managers: separate them with commas) with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or unset DOCKER_HOST to use the local swarm lab.',
    );
  }
  // Docker's own rule: any non-empty value turns verification on
  if (!env.DOCKER_TLS_VERIFY) {
    throw new LocalSetupError(
      `DOCKER_HOST=${host} is set, but DOCKER_TLS_VERIFY is not: swarm-ops talks to managers over mutual TLS only. ` +
        'Set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to a directory holding ca.pem, cert.pem and key.pem.',
    );
  }
  const certPath = env.DOCKER_CERT_PATH || path.join(os.homedir(), '.docker');
  const files = ['ca.pem', 'cert.pem', 'key.pem'];
  const missing = files.filter((f) => !existsSync(path.join(certPath, f)));
  if (missing.length) {
    throw new LocalSetupError(
      `DOCKER_CERT_PATH${env.DOCKER_CERT_PATH ? `=${certPath}` : ` (unset, so ${certPath})`} has no ${missing.join(', ')}: it must hold ca.pem (the CA that signed the managers' certificates), ` +
        'cert.pem and key.pem (a client certificate that CA signed, and its key).',
    );
  }
  const [ca, cert, key] = files.map((f) => readPem(path.join(certPath, f), path.join(certPath, f)));
  return { cluster: 'local', source: `DOCKER_HOST=${host}`, probeImage: 'alpine:3', creds: { endpoints: endpointsFrom(host, 'DOCKER_HOST'), ca: ca!, cert: cert!, key: key! } };
}

/** Why the swarm lab can't run on this machine, said with what to do instead; undefined when it can. */
export function labMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const none = 'No swarm is configured (no DOCKER_HOST or SWARM_OPS_ENDPOINTS), and';
  if (process.platform !== 'linux') return `${none} the local swarm lab runs on Linux only (network namespaces and bridges). Run it on a Linux machine or VM, or ${ELSEWHERE}`;
  if (process.getuid?.() !== 0) {
    return `${none} the local swarm lab needs root: it creates network namespaces and a bridge and runs its own dockerd and containerd. Run it as root (e.g. \`sudo npm start\`), or ${ELSEWHERE}`;
  }
  const dockerd = env.SWARM_LAB_DOCKERD ?? '/usr/sbin/dockerd';
  if (!existsSync(dockerd) && !existsSync('/usr/bin/apt-get')) {
    return (
      `${none} the local swarm lab needs dockerd (${dockerd} is missing) and there is no apt-get to install it. ` +
      'Install Docker Engine (dockerd, containerd, runc and the docker CLI; Debian and Ubuntu call the package docker.io) plus busybox-static (a static busybox), iproute2, openssl, util-linux, curl and jq; ' +
      `or ${ELSEWHERE}`
    );
  }
  return undefined;
}

/** The lab's credentials, starting it first when it is not up (lab.sh installs Debian's packages it needs). */
export function labTarget(env: NodeJS.ProcessEnv = process.env, say: (line: string) => void = (l) => console.error(l)): SwarmTarget {
  const labJson = path.join(labDir(env), 'lab.json');
  // cheap: the lab's description and its first daemon's socket; a node that is down is status's to report
  const lab = existsSync(labJson) ? (JSON.parse(readFileSync(labJson, 'utf8')) as { nodes: Array<{ socket?: string }> }) : undefined;
  if (!(lab?.nodes[0]?.socket && existsSync(lab.nodes[0].socket))) {
    const missing = labMissing(env);
    if (missing) throw new LocalSetupError(missing);
    say('No swarm configured: starting the local swarm lab (3 managers + 2 spare nodes)…');
    try {
      execFileSync('bash', [LAB_SCRIPT, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new LocalSetupError(`The swarm lab did not start (test/lab/lab.sh up exited with ${status ?? 'an error'}; its [lab] lines above say why). ${ELSEWHERE.replace(/^point/, 'Or point')}`);
    }
  }
  const description = JSON.parse(readFileSync(labJson, 'utf8')) as Omit<LabDescription, 'nodes'> & { probeImage?: string; nodes: Array<{ name?: string; url: string; role: string }> };
  const spares = description.nodes.filter((n) => n.role === 'spare').map((n) => ({ name: n.name ?? n.url, url: n.url }));
  return {
    cluster: 'lab',
    source: `the swarm lab (${labDir(env)})`,
    probeImage: description.probeImage ?? 'swarm-ops/probe:latest',
    creds: labCredentials(description),
    spares,
    // the lab's kernel has no ESP (test/lab/README.md): encrypted overlays are created but carry nothing
    ipsec: false,
  };
}

/** The environment's swarm, else the lab's. */
export const swarmTarget = (env: NodeJS.ProcessEnv = process.env, say?: (line: string) => void): SwarmTarget => envTarget(env) ?? labTarget(env, say);
