import { Logger } from '@aws-lambda-powertools/logger';
// types only: importing Bolt's values would put all of Bolt into every bundle that logs (the slack function's too)
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { redactSecrets } from '../../errors.js';
import type { Log, LogFields } from '../../log.js';

const safe = (f: LogFields) => JSON.parse(redactSecrets(JSON.stringify(f))) as Record<string, unknown>;

/** One structured JSON line per call; anything that looks like a token or key is masked on the way out. */
export function powertoolsLog(fn: string, logger = new Logger({ serviceName: 'swarm-ops', persistentKeys: { function: fn } })): Log & { logger: Logger } {
  const emit = (level: 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) =>
    fields ? logger[level](redactSecrets(message), safe(fields)) : logger[level](redactSecrets(message));
  let appended: string[] = [];
  return {
    logger,
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    appendKeys(keys) {
      appended = [...new Set([...appended, ...Object.keys(keys)])];
      logger.appendKeys(safe(keys) as never);
    },
    resetKeys() {
      logger.removeKeys(appended);
      appended = [];
    },
  };
}

/** Bolt's own lines go through the same JSON logger: no plain text between the JSON. */
export function boltLogger(log: Log): BoltLogger {
  let level = 'warn' as LogLevel;
  let name = 'bolt';
  const line = (emit: (m: string, f?: LogFields) => void) => (...msg: unknown[]) => emit(`${name}: ${msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`);
  const rank: Record<`${LogLevel}`, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  const when = (l: `${LogLevel}`, emit: (m: string, f?: LogFields) => void) => (...msg: unknown[]) => (rank[l] >= rank[level] ? line(emit)(...msg) : undefined);
  return {
    debug: when('debug', log.info),
    info: when('info', log.info),
    warn: when('warn', log.warn),
    error: when('error', log.error),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}
