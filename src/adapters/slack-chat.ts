import { WebClient } from '@slack/web-api';
import type { ChatPort, ResponseMessage } from '../ports.js';
import type { SlackMessage } from '../render/block-kit.js';

/** Slack's Web API (bot token) plus plain POSTs to interaction response URLs. */
export class SlackChat implements ChatPort {
  private readonly web: WebClient;

  constructor(botToken: string, slackApiUrl?: string) {
    this.web = new WebClient(botToken, {
      ...(slackApiUrl ? { slackApiUrl } : {}),
      retryConfig: { retries: 2 },
    });
  }

  async respond(responseUrl: string, message: ResponseMessage): Promise<void> {
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
  }

  async postMessage(channel: string, message: SlackMessage): Promise<{ ts: string }> {
    const out = await this.web.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never });
    return { ts: String(out.ts) };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.web.chat.update({ channel, ts, text: message.text, blocks: message.blocks as never });
  }
}
