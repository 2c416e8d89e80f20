/**
 * The conversation's look at other channels: a note of what arrived in them
 * meanwhile, the audit channel (`:audit`), and a pass of the watch with its
 * alert channel (`:watch`).
 */
import type { Policy } from '../config/policy.js';
import type { Reply } from '../domain/reply.js';
import type { Palette } from '../render/terminal.js';
import type { LocalBot } from '../composition/terminal-root.js';
import type { Screen } from './screen.js';
import { progressOf, type ChatMessage } from '../adapters/local/terminal-chat.js';

/** What these views need of the conversation. */
export interface ChannelView {
  bot: LocalBot;
  screen: Screen;
  c: Palette;
  /** messages nobody has seen yet, per channel */
  unread: Map<string, number>;
  show(reply: Reply, o: { message?: ChatMessage; edited?: boolean; indent?: boolean }): void;
  say(text: string, problem?: boolean): void;
  policy(): Promise<Policy | undefined>;
}

/** the clusters the policy watches, with their alert channels */
const watchedClusters = (policy: Policy | undefined) =>
  Object.entries(policy?.clusters ?? {}).flatMap(([cluster, c]) => (c.watch ? [{ cluster, channel: c.watch.channel }] : []));

export async function noteUnread(v: ChannelView): Promise<void> {
  if (!v.unread.size) return;
  const policy = await v.policy();
  const watchChannels = new Set(watchedClusters(policy).map((w) => w.channel));
  const notes = [...v.unread].map(([channel, n]) => {
    const how = channel === policy?.auditChannel ? ' (the audit channel: `:audit`)' : watchChannels.has(channel) ? ' (a watch channel: `:watch`)' : '';
    return `${n} new in #${channel}${how}`;
  });
  v.say(`· ${notes.join('; ')}`);
  v.unread.clear();
}

function showChannel(v: ChannelView, channel: string, what: string, limit: number): void {
  const all = v.bot.chat.channel(channel);
  const messages = all.filter((m) => !progressOf(m.reply));
  const shown = messages.slice(-limit);
  v.screen.print(`\n${v.c.bold(`── #${channel}`)} ${v.c.dim(`${what} · ${messages.length} message${messages.length === 1 ? '' : 's'}${shown.length < messages.length ? `, the latest ${shown.length} shown` : ''} ──`)}\n`);
  for (const m of shown) v.show(m.reply, { message: m, edited: m.edited ?? false, indent: Boolean(m.threadTs) });
  v.unread.delete(channel);
}

export async function showAudit(v: ChannelView, arg: string): Promise<void> {
  const policy = await v.policy();
  if (!policy) return v.say('The policy can\'t be read, so there is no audit channel to show; `/swarm status` says why.', true);
  const limit = /^\d+$/.test(arg) ? Math.max(1, Number(arg)) : 10;
  showChannel(v, policy.auditChannel, 'the audit channel', limit);
  if (!v.bot.chat.channel(policy.auditChannel).length) v.say('Nothing audited yet: changes, dry runs, approvals and refusals are.');
}

export async function showWatch(v: ChannelView): Promise<void> {
  const policy = await v.policy();
  const watched = watchedClusters(policy);
  if (!watched.length) {
    v.say('No cluster in the policy has a watch channel. Add one to policy.json, e.g. `"clusters": { "lab": { "watch": { "channel": "C0ALERTS", "graceMinutes": 3 } } }`.', true);
    return;
  }
  v.screen.progress(`Watching ${watched.map((w) => w.cluster).join(', ')}…`);
  let results: Awaited<ReturnType<LocalBot['watchOnce']>>;
  try {
    results = await v.bot.watchOnce();
  } finally {
    v.screen.progress(undefined);
  }
  for (const channel of new Set(watched.map((w) => w.channel))) {
    const clusters = watched.filter((w) => w.channel === channel).map((w) => w.cluster);
    showChannel(v, channel, `watch channel of ${clusters.join(', ')}`, 20);
  }
  for (const r of results) {
    v.say(`watch pass over ${r.cluster}: ${r.outcome}; ${r.open} incident${r.open === 1 ? '' : 's'} open${r.pending ? `, ${r.pending} pending` : ''}${r.said.length ? '' : '; nothing new to say'}.`);
  }
}
