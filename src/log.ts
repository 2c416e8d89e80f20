/** The logging surface our code uses; Powertools Logger satisfies it. */
export type LogFields = Record<string, unknown>;

export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** keys every following line carries (requestId, command, cluster, user) until `resetKeys` */
  appendKeys(keys: LogFields): void;
  resetKeys(): void;
}
