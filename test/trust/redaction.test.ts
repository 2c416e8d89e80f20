/**
 * Issue 21, finding 8: the private-key redaction was quadratic (930 k
 * characters of repeated BEGIN lines took 8.8 s). Redaction is linear now:
 * the same input finishes well inside a second (measured, the bound generous).
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/errors.js';

const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----';

describe('redactSecrets', () => {
  it('930k characters of repeated BEGIN lines without an END finish fast', () => {
    const line = '-----BEGIN PRIVATE KEY-----\n';
    const text = line.repeat(Math.ceil(930_000 / line.length));
    const started = performance.now();
    const out = redactSecrets(text);
    const ms = performance.now() - started;
    console.log(`redactSecrets: ${text.length} characters in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(out).not.toContain('BEGIN PRIVATE KEY');
  });

  it('other worst cases of the marker lines are linear too', () => {
    for (const text of ['-----BEGIN ' + 'A '.repeat(465_000), '-----BEGIN PRIVATE KEY-----' + '-----END X'.repeat(93_000), '-----BEGIN ABC\n'.repeat(62_000)]) {
      const started = performance.now();
      redactSecrets(text);
      const ms = performance.now() - started;
      console.log(`redactSecrets: ${text.length} characters (${JSON.stringify(text.slice(0, 14))}…) in ${ms.toFixed(1)} ms`);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('keys with BEGIN and END are cut out, the text around them stays', () => {
    expect(redactSecrets(`a ${KEY} b ${KEY} c`)).toBe('a [redacted key] b [redacted key] c');
  });

  it('a key cut short (no END line) is still redacted, to the end of the text', () => {
    expect(redactSecrets('error: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI')).toBe('error: [redacted key]');
  });

  it('a certificate (not a private key) stays', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(redactSecrets(cert)).toBe(cert);
  });

  it('a BEGIN line of another key type between a key and its END is redacted with it', () => {
    expect(redactSecrets(`x -----BEGIN PRIVATE KEY-----\n-----BEGIN RSA PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY----- y`)).toBe('x [redacted key] y');
  });

  it('a Slack token glued to a word is redacted too (found by the property test: `\\b` let "0xoxb-…" through)', () => {
    expect(redactSecrets('token=0xoxb-123-abc')).toBe('token=0xoxb-[redacted]');
  });

  it('tokens and keys are still redacted', () => {
    expect(redactSecrets('SWMTKN-1-abc-def SWMKEY-1-abc+/= xoxb-123-abc')).toBe('SWMTKN-[redacted] SWMKEY-[redacted] xoxb-[redacted]');
  });
});
