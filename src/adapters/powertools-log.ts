import { Logger } from '@aws-lambda-powertools/logger';
import { redactSecrets } from '../errors.js';
import type { Log, LogFields } from '../log.js';

/** One structured JSON line per call; anything that looks like a token or key is masked on the way out. */
export function powertoolsLog(fn: string, logger = new Logger({ serviceName: 'swarm-ops', persistentKeys: { function: fn } })): Log {
  const safe = (f: LogFields) => JSON.parse(redactSecrets(JSON.stringify(f))) as Record<string, unknown>;
  const emit = (level: 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) =>
    fields ? logger[level](redactSecrets(message), safe(fields)) : logger[level](redactSecrets(message));
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
