/**
 * The bot's ChatPort in the local conversation: Slack's channels kept in
 * memory. Posts and edits land in their channel and are told to a listener
 * (the conversation prints them); a response URL belongs to the person and
 * channel of the command or click it came with.
 */
import { writeAttachment } from './attachment-files.js';
import { reply, type Attachment, type Reply } from '../../domain/reply.js';
import type { ChatPort, Clock } from '../../ports.js';

export interface ChatMessage {
  channel: string;
  ts: string;
  reply: Reply;
  at: Date;
  /** a reply in this message's thread */
  threadTs?: string;
  edited?: boolean;
}

export type ChatEvent =
  | { kind: 'post'; message: ChatMessage }
  /** `before`: what the message said until now */
  | { kind: 'update'; message: ChatMessage; before: Reply }
  /** seen only by `user` */
  | { kind: 'ephemeral'; channel: string; user: string; reply: Reply }
  /** a file shared in the channel (a heatmap), written to `path` */
  | { kind: 'file'; channel: string; title: string; path: string };

/** A long action's phase in a message ("joining lab-n5… waiting for Ready (12 s)"), or undefined for any other message. */
export function progressOf(r: Reply): string | undefined {
  for (const p of r.parts) {
    const m = p.kind === 'text' ? /^:hourglass_flowing_sand: (.*)$/s.exec(p.text) : null;
    if (m) return `${r.title}: ${m[1]}`;
  }
  return undefined;
}

export class TerminalChat implements ChatPort {
  private readonly messages = new Map<string, ChatMessage[]>();
  private readonly urls = new Map<string, { channel: string; user: string }>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly listener: (e: ChatEvent) => void,
  ) {}

  /** A response URL for a command or click by `user` in `channel`. */
  responseUrl(channel: string, user: string): string {
    const url = `https://local.invalid/respond/${++this.seq}`;
    this.urls.set(url, { channel, user });
    return url;
  }

  channel(id: string): ChatMessage[] {
    return this.messages.get(id) ?? [];
  }

  find(channel: string, ts: string): ChatMessage | undefined {
    return this.channel(channel).find((m) => m.ts === ts);
  }

  private add(channel: string, reply: Reply, threadTs?: string): ChatMessage {
    const message: ChatMessage = { channel, ts: `${1_700_000_000 + ++this.seq}.000100`, reply, at: this.clock.now(), ...(threadTs ? { threadTs } : {}) };
    this.messages.set(channel, [...this.channel(channel), message]);
    return message;
  }

  async respond(responseUrl: string, reply: Reply): Promise<void> {
    const to = this.urls.get(responseUrl);
    if (!to) throw new Error(`not a response URL of this conversation: ${responseUrl}`);
    if (reply.visibility === 'ephemeral') this.listener({ kind: 'ephemeral', channel: to.channel, user: to.user, reply });
    else this.listener({ kind: 'post', message: this.add(to.channel, reply) });
  }

  async post(channel: string, reply: Reply, opts?: { threadTs?: string }): Promise<{ ts: string }> {
    const message = this.add(channel, reply, opts?.threadTs);
    this.listener({ kind: 'post', message });
    return { ts: message.ts };
  }

  async update(channel: string, ts: string, reply: Reply): Promise<void> {
    const message = this.find(channel, ts);
    // Slack answers chat.update of an unknown message with message_not_found
    if (!message) throw new Error(`message_not_found: ${channel} ${ts}`);
    const before = message.reply;
    Object.assign(message, { reply, edited: true, at: this.clock.now() });
    this.listener({ kind: 'update', message, before });
  }

  /** Slack would show the file in the channel; here it is written to a file, and the channel says where. */
  async upload(channel: string, file: Attachment, opts?: { threadTs?: string }): Promise<void> {
    const where = writeAttachment(file);
    this.listener({ kind: 'post', message: this.add(channel, reply(file.title, 'info', [{ kind: 'text', text: `File ${file.filename} written to ${where}` }]), opts?.threadTs) });
  }
}
