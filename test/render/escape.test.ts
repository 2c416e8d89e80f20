import { describe, expect, it } from 'vitest';
import { code, escapeMrkdwn } from '../../src/render/escape.js';

/** What a Slack client would treat as a mention or a link: `<…>` and bare broadcast words. */
const pings = (mrkdwn: string) => /<[!@#]|<https?:|@(here|channel|everyone)\b/i.test(mrkdwn);

describe('escapeMrkdwn', () => {
  it.each([
    ['plain', 'plain'],
    ['a & b', 'a &amp; b'],
    ['<!channel>', '&lt;!channel&gt;'],
    ['<@U123> hi', '&lt;@U123&gt; hi'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['&lt; already', '&amp;lt; already'],
    ['x > y < z', 'x &gt; y &lt; z'],
    ['@here look', '@\u2060here look'],
    ['hey @Channel and @everyone', 'hey @\u2060Channel and @\u2060everyone'],
    ['mail@herepost.com', 'mail@herepost.com'],
    ['*bold* `code` _it_', '*bold* `code` _it_'],
  ])('%j → %j', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });
});

describe('code', () => {
  it.each([
    ['worker-3', '`worker-3`'],
    ['a`b', '`a\u02cbb`'],
    ['``` block', '`\u02cb\u02cb\u02cb block`'],
    ['<!channel>', '`&lt;!channel&gt;`'],
    ['<@U123>', '`&lt;@U123&gt;`'],
    ['@here', '`@\u2060here`'],
    ['a & b', '`a &amp; b`'],
    ['line1\nline2\r\nline3', '`line1 line2 line3`'],
    ['', '` `'],
  ])('%j → %j', (input, expected) => {
    expect(code(input)).toBe(expected);
  });

  it('takes numbers', () => {
    expect(code(2376)).toBe('`2376`');
  });

  it.each(['<!channel>', '<!here>', '<!everyone>', '<@U0ADMIN>', '<#C0OPS>', '@here', '`<!channel>`', 'x` <!here> `y', '<https://evil.example|login>'])(
    '%j can not ping or link, inside code or out',
    (hostile) => {
      const inCode = code(hostile);
      expect(pings(inCode)).toBe(false);
      // exactly one code span: nothing inside can close it
      expect(inCode.match(/`/g)).toHaveLength(2);
      expect(pings(escapeMrkdwn(hostile))).toBe(false);
    },
  );
});
