import { z } from 'zod';
import { ConfigError } from '../errors.js';

const EnvSchema = z.object({
  SSM_PREFIX: z
    .string()
    .regex(/^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/, 'SSM_PREFIX must look like /swarm-ops/prod (leading slash, no trailing slash)'),
  WORKER_FUNCTION_NAME: z.string().min(1).optional(),
  SLACK_API_URL: z.string().url().optional(),
  /** extra prefixes a response_url may have besides https://hooks.slack.com/ (tests only) */
  SLACK_RESPONSE_URL_PREFIXES: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('SLACK_RESPONSE_URL_PREFIXES holds comma-separated URLs'))),
  STATE_TABLE: z.string().min(3, 'STATE_TABLE is the DynamoDB table name (3 characters or more)').optional(),
  AWS_REGION: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: NodeJS.ProcessEnv, required: Array<keyof Env> = []): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      `Bad environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  for (const key of required) {
    if (!parsed.data[key]) throw new ConfigError(`Environment variable ${key} is required`);
  }
  return parsed.data;
}
