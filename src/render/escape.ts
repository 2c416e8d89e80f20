/**
 * Text from users and daemons (node names, labels, error messages) goes into
 * Slack mrkdwn. Slack reads `<…>` as links and mentions (`<!channel>`,
 * `<@U123>`) and `&` as the start of an entity, so those three are escaped
 * (api.slack.com "Formatting text": escape &, <, > and nothing else).
 */

/** A look-alike of the backtick (U+02CB MODIFIER LETTER GRAVE ACCENT): it cannot end inline code. */
export const BACKTICK_LOOKALIKE = '\u02cb';
/** U+2060 WORD JOINER: invisible, and breaks `@here` so that no client treats it as a mention. */
const WORD_JOINER = '\u2060';

/** Escapes `&`, `<`, `>` and breaks the bare broadcast words `@here`, `@channel`, `@everyone`. */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(here|channel|everyone)\b/gi, `@${WORD_JOINER}$1`);
}

/**
 * A value as inline code, safe whatever it holds: backticks inside become a
 * look-alike (a backtick would end the code span and let the rest be read as
 * mrkdwn), line breaks become spaces (inline code cannot span lines), and the
 * value is escaped, so `<!channel>`, `<@U123>` and `@here` show as text and
 * never ping.
 */
export function code(value: string | number): string {
  const text = String(value).replace(/`/g, BACKTICK_LOOKALIKE).replace(/\r\n|[\r\n]/g, ' ');
  // an empty span would show as two backticks
  return `\`${escapeMrkdwn(text) || ' '}\``;
}

/** The only control sequences our own messages use: a user mention and a channel link. */
const OUR_MARKUP = /<(?:@[UW][A-Z0-9]{2,20}|#[CG][A-Z0-9]{2,20})>/g;

/**
 * The renderer's last line of defence: every `<`…`>` that is not one of our
 * own mentions or channel links is escaped, whatever an action interpolated,
 * so a typed `<!channel>` or a usage label such as `<node>` shows as text.
 * Entities already escaped stay as they are.
 */
export function sanitizeMrkdwn(text: string): string {
  const keep: string[] = [];
  const held = text.replace(OUR_MARKUP, (m) => `\u0000${keep.push(m) - 1}\u0000`);
  return held
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(here|channel|everyone)\b/gi, `@${WORD_JOINER}$1`)
    .replace(/\u0000(\d+)\u0000/g, (_, i: string) => keep[Number(i)]!);
}

/** For the terminal: entities back to characters, mentions as @U…, channel links as #C…. */
export function unescapeForTerminal(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<#([CG][A-Z0-9]+)>/g, '#$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(new RegExp(WORD_JOINER, 'g'), '');
}
