import { Logger } from '@aws-lambda-powertools/logger';
import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { redactSecrets } from '../errors.js';
import type { Log, LogFields } from '../log.js';

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
  let level = LogLevel.WARN;
  let name = 'bolt';
  const line = (emit: (m: string, f?: LogFields) => void) => (...msg: unknown[]) => emit(`${name}: ${msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`);
  const rank = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 } as const;
  const when = (l: LogLevel, emit: (m: string, f?: LogFields) => void) => (...msg: unknown[]) => (rank[l] >= rank[level] ? line(emit)(...msg) : undefined);
  return {
    debug: when(LogLevel.DEBUG, log.info),
    info: when(LogLevel.INFO, log.info),
    warn: when(LogLevel.WARN, log.warn),
    error: when(LogLevel.ERROR, log.error),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}
