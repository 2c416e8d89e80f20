import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';

describe('parseEnv', () => {
  it.each(['/swarm-ops/prod', '/b', '/a/b_c.d-e'])('accepts SSM_PREFIX %s', (p) => {
    expect(parseEnv({ SSM_PREFIX: p }).SSM_PREFIX).toBe(p);
  });
  it.each(['swarm-ops', '/swarm-ops/', '', '/a b'])('refuses SSM_PREFIX %j', (p) => {
    expect(() => parseEnv({ SSM_PREFIX: p })).toThrow(ConfigError);
  });
  it('names a missing required variable', () => {
    expect(() => parseEnv({ SSM_PREFIX: '/p' }, ['WORKER_FUNCTION_NAME'])).toThrow(/WORKER_FUNCTION_NAME is required/);
  });
});
