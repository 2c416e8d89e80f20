/**
 * The neutral reply every action returns. Renderers (Block Kit for Slack,
 * plain text for the terminal and golden tests) turn it into output; actions
 * never build Block Kit themselves.
 *
 * Text fields use a small shared markup: *bold* and `code`.
 */
export type Tone = 'ok' | 'warn' | 'error' | 'info';

export type ReplyPart =
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Array<[label: string, value: string]> }
  /** rows beyond the renderer's budget are cut with a note; put the important rows first */
  | { kind: 'table'; columns: string[]; rows: string[][]; noun: string }
  | { kind: 'list'; title: string; items: string[]; tone?: Tone }
  | { kind: 'context'; text: string }
  | {
      kind: 'buttons';
      buttons: Array<{ label: string; actionId: string; value: string; style?: 'primary' | 'danger' }>;
      /** a menu beside the buttons (e.g. Deny with a reason) */
      select?: { placeholder: string; actionId: string; options: Array<{ label: string; value: string }> };
    };

/** A file that goes with a reply (e.g. a PNG heatmap): uploaded beside the message in Slack, written to a file locally. */
export interface Attachment {
  filename: string;
  bytes: Uint8Array;
  title: string;
}

export interface Reply {
  visibility: 'in_channel' | 'ephemeral';
  tone: Tone;
  title: string;
  parts: ReplyPart[];
  /** files that go with the message; renderers of text and Block Kit leave them out */
  attachments?: Attachment[];
}

export const reply = (title: string, tone: Tone, parts: ReplyPart[], visibility: Reply['visibility'] = 'in_channel'): Reply => ({
  visibility,
  tone,
  title,
  parts,
});

export const errorReply = (message: string, title = 'Sorry, that did not work'): Reply =>
  reply(title, 'error', [{ kind: 'text', text: message }], 'ephemeral');

/** What was asked can't be done as asked, and nothing was done: a warning, as the ingress's ⚠ for a mistake found while parsing. */
export const refusalReply = (message: string): Reply => reply('Not done', 'warn', [{ kind: 'text', text: message }], 'ephemeral');
