/** Which swarm the local runner talks to, and what it says when something is missing. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envTarget, labMissing, LocalSetupError } from '../../src/terminal/swarm-target.js';

const certDir = (files: string[]) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'swarm-ops-certs-'));
  for (const f of files) writeFileSync(path.join(dir, f), `${f} PEM\n`);
  return dir;
};

describe('the local swarm target', () => {
  it('nothing in the environment: the lab', () => {
    expect(envTarget({})).toBeUndefined();
  });

  it('SWARM_OPS_*: the endpoints and the three PEM files', () => {
    const dir = certDir(['ca.pem', 'cert.pem', 'key.pem']);
    const t = envTarget({ SWARM_OPS_ENDPOINTS: 'tcp://10.0.0.1:2376, tcp://10.0.0.2:2376', SWARM_OPS_CA: path.join(dir, 'ca.pem'), SWARM_OPS_CERT: path.join(dir, 'cert.pem'), SWARM_OPS_KEY: path.join(dir, 'key.pem') });
    expect(t).toMatchObject({ cluster: 'local', creds: { endpoints: ['tcp://10.0.0.1:2376', 'tcp://10.0.0.2:2376'], ca: 'ca.pem PEM\n', key: 'key.pem PEM\n' } });
    expect(() => envTarget({ SWARM_OPS_ENDPOINTS: 'tcp://10.0.0.1:2376', SWARM_OPS_CA: path.join(dir, 'ca.pem') })).toThrow(
      'SWARM_OPS_ENDPOINTS is set, but SWARM_OPS_CERT, SWARM_OPS_KEY are not: set SWARM_OPS_CA to the PEM file of the CA',
    );
    expect(() => envTarget({ SWARM_OPS_ENDPOINTS: 'tcp://10.0.0.1:2376', SWARM_OPS_CA: '/nowhere/ca.pem', SWARM_OPS_CERT: 'x', SWARM_OPS_KEY: 'y' })).toThrow('SWARM_OPS_CA=/nowhere/ca.pem does not exist.');
    expect(() => envTarget({ SWARM_OPS_ENDPOINTS: '10.0.0.1', SWARM_OPS_CA: 'a', SWARM_OPS_CERT: 'b', SWARM_OPS_KEY: 'c' })).toThrow(/^SWARM_OPS_ENDPOINTS: 10\.0\.0\.1 is not a Docker API URL/);
  });

  it('Docker\'s own DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH', () => {
    const dir = certDir(['ca.pem', 'cert.pem', 'key.pem']);
    expect(envTarget({ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })).toMatchObject({
      cluster: 'local',
      source: 'DOCKER_HOST=tcp://10.0.0.5:2376',
      creds: { endpoints: ['tcp://10.0.0.5:2376'], cert: 'cert.pem PEM\n' },
    });
  });

  it.each([
    [{ DOCKER_HOST: 'unix:///var/run/docker.sock' }, 'DOCKER_HOST=unix:///var/run/docker.sock is not a TCP address: swarm-ops reaches managers over TCP with mutual TLS'],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2376' }, 'DOCKER_HOST=tcp://10.0.0.5:2376 is set, but DOCKER_TLS_VERIFY is not: swarm-ops talks to managers over mutual TLS only. Set DOCKER_TLS_VERIFY=1'],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir(['ca.pem']) }, /^DOCKER_CERT_PATH=\S+ has no cert\.pem, key\.pem: it must hold ca\.pem/],
    [{ DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_TLS_VERIFY: '1', HOME: '/nonexistent-home' }, /^DOCKER_CERT_PATH \(unset, so \S+\.docker\) has no ca\.pem, cert\.pem, key\.pem/],
  ])('says exactly what is missing: %j', (env, message) => {
    expect(() => envTarget(env as NodeJS.ProcessEnv)).toThrow(LocalSetupError);
    expect(() => envTarget(env as NodeJS.ProcessEnv)).toThrow(message);
  });

  it('without root the lab can\'t start, and the message says how else to go on', () => {
    const why = labMissing({});
    if (process.getuid?.() === 0) expect(why).toBeUndefined();
    else {
      expect(why).toMatch(/the local swarm lab needs root: it creates network namespaces and a bridge and runs its own dockerd/);
      expect(why).toMatch(/DOCKER_HOST=tcp:\/\/MANAGER:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR/);
    }
  });
});
