/**
 * Two kinds of error. A UserFacingError's message is safe to show in Slack and
 * says what to type or do instead. Anything else is logged with its cause and
 * the user sees a short generic line carrying the request id.
 */
export type UserErrorCode =
  | 'USAGE'
  | 'UNKNOWN_COMMAND'
  | 'VALIDATION'
  | 'PERMISSION'
  | 'UNKNOWN_CLUSTER'
  | 'UNKNOWN_NODE'
  | 'AMBIGUOUS_NODE'
  | 'QUORUM_GUARD'
  | 'QUORUM_LOST'
  | 'ENDPOINTS_UNREACHABLE'
  | 'TLS'
  | 'ALREADY_IN_SWARM'
  | 'NOT_A_MANAGER'
  | 'CONFLICT'
  | 'APPROVAL'
  | 'POLICY'
  | 'NOT_FOUND'
  /** a write that timed out after it was sent: it may or may not have happened */
  | 'UNCERTAIN';

export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One family member per code: its `name` is the class's, its message safe to show. */
function family(code: UserErrorCode, name: string) {
  return class extends UserFacingError {
    override name = name;
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
}

export class UsageError extends family('USAGE', 'UsageError') {}
export class ValidationError extends family('VALIDATION', 'ValidationError') {}
export class PermissionError extends family('PERMISSION', 'PermissionError') {}
export class UnknownClusterError extends family('UNKNOWN_CLUSTER', 'UnknownClusterError') {}
export class QuorumGuardError extends family('QUORUM_GUARD', 'QuorumGuardError') {}

/** Problems reaching or talking to the swarm that the user can act on. */
export class SwarmError extends UserFacingError {
  override name = 'SwarmError';
}

/** A configuration problem the operator must fix (bad policy, missing parameter). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'CONFIG';
}

export function isUserFacing(err: unknown): err is UserFacingError {
  return err instanceof UserFacingError;
}

/** The codes of a swarm that could not be reached or answered: failures, not a refusal of what was asked. */
const FAILURE_CODES: ReadonlySet<UserErrorCode> = new Set(['TLS', 'ENDPOINTS_UNREACHABLE', 'QUORUM_LOST', 'UNCERTAIN']);

/**
 * A refusal of what was asked (a bad value, an unknown node, a subnet that
 * overlaps, a target already in a swarm, no permission): the same kind of
 * mistake as a usage error caught while parsing, and shown like one.
 */
export const isRefusal = (err: UserFacingError): boolean => !FAILURE_CODES.has(err.code);

const TOKEN_PATTERN = /SWMTKN-1-[0-9a-zA-Z-]+/g;
/** a swarm's unlock key (autolock) */
const UNLOCK_KEY_PATTERN = /SWMKEY-1-[0-9a-zA-Z+/=-]+/g;
/** Slack tokens: bot, user, app-level, refresh, legacy */
const SLACK_TOKEN_PATTERN = /(xox[abpers]|xapp)-[0-9A-Za-z-]+/g;

/** Join tokens, unlock keys, Slack tokens and private keys never reach a message or a log line, even inside a Docker error text. */
export function redactSecrets(text: string): string {
  const redacted = text
    .replace(TOKEN_PATTERN, 'SWMTKN-[redacted]')
    .replace(UNLOCK_KEY_PATTERN, 'SWMKEY-[redacted]')
    .replace(SLACK_TOKEN_PATTERN, '$1-[redacted]');
  return redacted.includes(PEM_BEGIN_MARK) ? redactPrivateKeys(redacted) : redacted;
}

const PEM_BEGIN_MARK = '-----BEGIN ';
const PEM_BEGIN_G = /-----BEGIN [A-Z ]*PRIVATE KEY-----/g;
const PEM_END_G = /-----END [A-Z ]*PRIVATE KEY-----/g;

/**
 * Private keys, each from its BEGIN line to the next END line, or to the end
 * of the text when it was cut short (a key cut short is still a key). One
 * forward pass: each search starts where the last one ended, so a text of
 * many BEGIN lines and no END costs one scan, not one per BEGIN line (issue
 * 21: 930 k characters of BEGIN lines took 8.8 s with a lazy `[\s\S]*?`).
 */
function redactPrivateKeys(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    PEM_BEGIN_G.lastIndex = at;
    const begin = PEM_BEGIN_G.exec(text);
    if (!begin) return out + text.slice(at);
    out += text.slice(at, begin.index) + '[redacted key]';
    PEM_END_G.lastIndex = begin.index + begin[0].length;
    const end = PEM_END_G.exec(text);
    if (!end) return out;
    at = end.index + end[0].length;
  }
}

/** A log-safe summary of any thrown value. */
export function describeError(err: unknown): { name: string; message: string; code?: string; statusCode?: number } {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; statusCode?: unknown };
    return {
      name: e.name,
      message: redactSecrets(e.message),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    };
  }
  return { name: 'Unknown', message: redactSecrets(String(err)) };
}
