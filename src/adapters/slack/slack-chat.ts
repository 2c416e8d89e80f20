import { WebClient } from '@slack/web-api';
import type { Attachment, Reply } from '../../domain/reply.js';
import type { ChatPort } from '../../ports.js';
import { renderBlockKit } from '../../render/block-kit.js';

/** Slack's own response URLs; anything else must be named by the composition root (tests only). */
export const SLACK_RESPONSE_URL_PREFIX = 'https://hooks.slack.com/';

export interface SlackChatOptions {
  /** base URL of Slack's Web API (SLACK_API_URL), e.g. `http://127.0.0.1:9000/api/` */
  slackApiUrl?: string;
  /** prefixes a response_url may have besides `https://hooks.slack.com/` (SLACK_RESPONSE_URL_PREFIXES, parsed by the caller) */
  responseUrlPrefixes?: string[];
}

/**
 * Slack's Web API (bot token) plus plain POSTs to interaction response URLs.
 * Speaks the neutral Reply: it renders Block Kit itself.
 */
export class SlackChat implements ChatPort {
  private readonly web: WebClient;
  private readonly prefixes: URL[];

  constructor(botToken: string, opts: SlackChatOptions = {}) {
    this.web = new WebClient(botToken, {
      ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
      retryConfig: { retries: 2 },
    });
    this.prefixes = [SLACK_RESPONSE_URL_PREFIX, ...(opts.responseUrlPrefixes ?? [])].map((p) => {
      try {
        return new URL(p.trim());
      } catch (err) {
        throw new Error(`response_url prefix ${JSON.stringify(p)} is not a URL`, { cause: err });
      }
    });
  }

  async respond(responseUrl: string, reply: Reply, opts: { replaceOriginal?: boolean } = {}): Promise<void> {
    const url = this.allowedResponseUrl(responseUrl);
    const message = renderBlockKit(reply);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        response_type: reply.visibility,
        ...(opts.replaceOriginal !== undefined ? { replace_original: opts.replaceOriginal } : {}),
        text: message.text,
        blocks: message.blocks,
      }),
      // the URL was checked; a redirect would take the body somewhere that was not
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`response_url on ${url.host} answered HTTP ${res.status}`);
  }

  /** Posts to a channel (or a thread in it). A reply's visibility does not apply: a posted message is seen by the channel. */
  async post(channel: string, reply: Reply, opts: { threadTs?: string } = {}): Promise<{ ts: string }> {
    const message = renderBlockKit(reply);
    const out = await this.web.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
    });
    return { ts: String(out.ts) };
  }

  async update(channel: string, ts: string, reply: Reply): Promise<void> {
    const message = renderBlockKit(reply);
    await this.web.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
  }

  /** files.uploadV2 (scope files:write): the Web API client asks for an upload URL, sends the bytes, then shares the file in the channel. */
  async upload(channel: string, file: Attachment, opts: { threadTs?: string } = {}): Promise<void> {
    const common = { file: Buffer.from(file.bytes), filename: file.filename, title: file.title };
    await this.web.filesUploadV2(opts.threadTs ? { ...common, channel_id: channel, thread_ts: opts.threadTs } : { ...common, channel_id: channel });
  }

  /**
   * A response_url is taken from the request body: only Slack's own (or a
   * configured test prefix) may receive what the bot says. Same scheme, host
   * and port as a prefix, and a path under the prefix's path. The error names
   * the host only: the path of a response URL is a credential.
   */
  private allowedResponseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('Refused a response_url that is not a URL');
    }
    const under = (p: URL) =>
      url.origin === p.origin &&
      !url.username &&
      !url.password &&
      (url.pathname === p.pathname || url.pathname.startsWith(p.pathname.endsWith('/') ? p.pathname : `${p.pathname}/`));
    if (!this.prefixes.some(under)) {
      throw new Error(
        `Refused to post to a response_url on ${url.protocol}//${url.host}: only ${SLACK_RESPONSE_URL_PREFIX} ` +
          'and the prefixes in SLACK_RESPONSE_URL_PREFIXES are allowed',
      );
    }
    return url;
  }
}
