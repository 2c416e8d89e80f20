/**
 * A Slack channel in the terminal. People type `/swarm …` (or just the
 * command), switch who they are with `:as approver`, pick buttons and menus
 * by their number, and look at the audit and watch channels. Every line goes
 * through the real ingress and worker (src/composition/terminal-root.ts); this file only
 * turns lines into those calls and the bot's messages into text.
 */
import pc from 'picocolors';
import { hasRole, ROLES, type Policy } from '../config/policy.js';
import type { Reply, ReplyPart } from '../domain/reply.js';
import { inline, renderTerminal, type Choice, type Palette } from '../render/terminal.js';
import type { LocalBot } from '../composition/terminal-root.js';
import { LOCAL_CHANNELS, LOCAL_PEOPLE } from '../adapters/local/parameter-folder.js';
import { CONVERSATION_HELP } from './conversation-help.js';
import type { Screen } from './screen.js';
import { noteUnread, showAudit, showWatch, type ChannelView } from './other-channels.js';
import { progressOf, type ChatEvent, type ChatMessage } from '../adapters/local/terminal-chat.js';

export type { Screen };

type Buttons = Extract<ReplyPart, { kind: 'buttons' }>;

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;
const localClock = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

export class Conversation {
  private bot?: LocalBot;
  private readonly c: Palette;
  private user: string = LOCAL_PEOPLE.you;
  private channel: string = LOCAL_CHANNELS.ops;
  private people: Record<string, string> = { you: LOCAL_PEOPLE.you, approver: LOCAL_PEOPLE.approver };
  private team: string | undefined;
  /** choice number → the button or menu it picks */
  private readonly choices = new Map<number, { channel: string; ts: string; choice: Choice }>();
  private readonly numbers = new Map<string, number>();
  /** messages posted as progress and never shown: their final edit is shown as a new message */
  private readonly progressOnly = new Set<string>();
  private readonly unread = new Map<string, number>();
  /** script lines that could not be done (a bad click, an unknown `:` command): a script then exits 1 */
  problems = 0;

  constructor(
    private readonly screen: Screen,
    colors: boolean,
  ) {
    this.c = pc.createColors(colors);
  }

  /** The bot, once it is built (it needs `onChat` first); who is who and where, from the policy. */
  async attach(bot: LocalBot): Promise<void> {
    this.bot = bot;
    const policy = await bot.params.policy();
    const cluster = policy.defaultCluster;
    // you: the first operator of the default cluster; the second person: an approver other than you
    const listed = (role: 'operator' | 'approver') => (policy.clusters[cluster]?.roles?.[role] ?? policy.roles[role]).filter((u) => USER_ID.test(u));
    this.user = listed('operator')[0] ?? LOCAL_PEOPLE.you;
    const approver = listed('approver').find((u) => u !== this.user);
    this.people = { you: this.user, ...(approver ? { approver } : {}) };
    this.channel = Object.entries(policy.channels).find(([, c]) => c === cluster)?.[0] ?? policy.clusters[cluster]?.allowChannels?.[0] ?? LOCAL_CHANNELS.ops;
    this.team = policy.teamId;
  }

  prompt(): string {
    return `${this.c.blue(`@${this.user}`)} ${this.c.dim(`in #${this.channel} ›`)} `;
  }

  async welcome(more: Array<[string, string]>): Promise<void> {
    const second = this.people['approver'] ? '; be someone else with `:as approver`' : '';
    const lines: Array<[string, string]> = [...more, ['you', `${await this.whoIs(this.user)}, typing in #${this.channel}${second}`]];
    const w = Math.max(...lines.map(([k]) => k.length));
    this.screen.print(
      [
        this.c.bold('swarm-ops, locally: a Slack channel in your terminal'),
        ...lines.map(([k, v]) => `  ${this.c.dim(k.padEnd(w))}  ${inline(v, this.c)}`),
        `Type ${this.c.cyan('/swarm help')} (or just ${this.c.cyan('help')}), ${this.c.cyan(':help')} for the conversation's own commands, ${this.c.cyan(':quit')} to leave.`,
        '',
      ].join('\n'),
    );
  }

  async whoIs(id: string): Promise<string> {
    const policy = await this.policy();
    const cluster = policy?.defaultCluster;
    const roles = policy ? ROLES.filter((r) => hasRole(policy, id, r, cluster)) : [];
    const name = Object.entries(this.people).find(([, u]) => u === id)?.[0];
    return `@${id}${name ? ` (${name})` : ''}: ${roles.length ? roles.join(', ') : 'no role'}${cluster ? ` in ${cluster}` : ''}`;
  }

  private async policy(): Promise<Policy | undefined> {
    return this.bot?.params.policy().catch(() => undefined);
  }

  // ---- what the bot says --------------------------------------------------

  onChat(e: ChatEvent): void {
    if (e.kind === 'ephemeral') {
      this.show(e.reply, { ephemeralTo: e.user });
      return;
    }
    if (e.kind === 'file') {
      if (e.channel === this.channel) this.screen.print(`${this.c.bold('swarm-ops')} ${this.c.dim('shared a file')} ${e.title}: ${this.c.cyan(e.path)}\n`);
      else this.bump(e.channel);
      return;
    }
    const { message } = e;
    const here = message.channel === this.channel && !message.threadTs;
    const phase = progressOf(message.reply);
    if (phase !== undefined) {
      if (e.kind === 'post') this.progressOnly.add(message.ts);
      if (here) this.screen.progress(phase, { phase: true });
      return;
    }
    if (!here) {
      this.bump(message.channel);
      return;
    }
    const firstShown = this.progressOnly.delete(message.ts);
    this.show(message.reply, { message, edited: e.kind === 'update' && !firstShown });
  }

  /** one more message nobody has seen in another channel */
  private bump(channel: string): void {
    this.unread.set(channel, (this.unread.get(channel) ?? 0) + 1);
  }

  private choiceNumber(channel: string, ts: string, choice: Choice): number {
    const key = `${channel} ${ts} ${choice.actionId} ${choice.value ?? ''}`;
    let n = this.numbers.get(key);
    if (n === undefined) {
      n = this.choices.size + 1;
      this.numbers.set(key, n);
      this.choices.set(n, { channel, ts, choice });
    }
    return n;
  }

  private show(reply: Reply, o: { message?: ChatMessage; edited?: boolean; ephemeralTo?: string; indent?: boolean }): void {
    const { c } = this;
    const at = o.message?.at ?? new Date();
    const who = o.ephemeralTo === undefined ? '' : o.ephemeralTo === this.user ? ' · only visible to you' : ` · only visible to @${o.ephemeralTo}`;
    const header = `${c.bold('swarm-ops')} ${c.dim(`${localClock(at)}${o.edited ? ' (edited)' : ''}${who}`)}`;
    const m = o.message;
    const body = renderTerminal(reply, { colors: c.isColorSupported, ...(m ? { choice: (x: Choice) => this.choiceNumber(m.channel, m.ts, x) } : {}) });
    const text = `${header}\n${body}`;
    this.screen.print('\n' + (o.indent ? text.replace(/^/gm, '    ') : text));
  }

  /** what the views of other channels (other-channels.ts) need of the conversation */
  private view(): ChannelView {
    return {
      bot: this.bot!,
      screen: this.screen,
      c: this.c,
      unread: this.unread,
      show: (reply, o) => this.show(reply, o),
      say: (text, problem) => this.say(text, problem),
      policy: () => this.policy(),
    };
  }

  private say(text: string, problem = false): void {
    if (problem) this.problems++;
    this.screen.print(`${(problem ? this.c.yellow : this.c.dim)(inline(text, this.c))}\n`);
  }

  // ---- what a person types ------------------------------------------------

  /** One line; false when the person is done. */
  async handle(line: string): Promise<boolean> {
    const text = line.trim();
    if (!text || text.startsWith('#')) return true;
    const click = /^(?::click\s+)?(\d+)(?:\s+(.+))?$/i.exec(text);
    if (click) return this.click(Number(click[1]), click[2]).then(() => true);
    if (text.startsWith(':')) return this.meta(text);
    const slash = /^\/(\S+)\s*(.*)$/s.exec(text);
    if (slash && !/^swarm(-[a-z0-9-]+)?$/i.test(slash[1]!)) {
      this.say(`Only \`/swarm\` is installed here; type \`/swarm ${slash[2] || 'help'}\`.`, true);
      return true;
    }
    await this.command(slash ? slash[2]! : text);
    return true;
  }

  private async meta(text: string): Promise<boolean> {
    const [word = '', ...rest] = text.slice(1).split(/\s+/);
    const arg = rest.join(' ');
    switch (word.toLowerCase()) {
      case 'q':
      case 'quit':
      case 'exit':
        return false;
      case 'help':
      case 'h':
        this.screen.print(CONVERSATION_HELP.map((l) => `  ${l.replace(/^(\S+(?: \S+)*?)( {2,})/, (_, what: string, gap: string) => this.c.cyan(what) + gap)}`).join('\n') + '\n');
        return true;
      case 'as':
        await this.becomes(arg);
        return true;
      case 'click':
        this.say('Type `:click N`, N being the number in brackets beside a button or menu, e.g. `:click 1`.', true);
        return true;
      case 'audit':
        await showAudit(this.view(), arg);
        return true;
      case 'watch':
        await showWatch(this.view());
        return true;
      case 'channel':
        if (!CHANNEL_ID.test(arg)) this.say('Type a channel ID, e.g. `:channel C0OPS`.', true);
        else {
          this.channel = arg;
          this.say(`You are now typing in #${arg}.`);
        }
        return true;
      default:
        this.say(`There is no \`:${word}\` here. ${CONVERSATION_HELP.length} things you can type: \`:help\`.`, true);
        return true;
    }
  }

  private async becomes(who: string): Promise<void> {
    if (!who) {
      const lines = await Promise.all(Object.values(this.people).map((id) => this.whoIs(id)));
      this.say(`People here: ${lines.join('; ')}. Type \`:as approver\`, \`:as you\` or \`:as U0SOMEONE\`.`);
      return;
    }
    const id = this.people[who.toLowerCase() === 'me' ? 'you' : who.toLowerCase()] ?? (USER_ID.test(who) ? who : undefined);
    if (!id) {
      this.say(`\`${who}\` is neither ${Object.keys(this.people).map((p) => `\`${p}\``).join(' nor ')} nor a Slack user ID such as U0SOMEONE.`, true);
      return;
    }
    this.user = id;
    this.say(`You are now ${await this.whoIs(id)}.`);
  }

  /** Runs what was handed to the worker, showing its phase meanwhile. */
  private async working(label: string): Promise<void> {
    this.screen.progress(label);
    try {
      await this.bot!.settled();
    } finally {
      this.screen.progress(undefined);
    }
    await noteUnread(this.view());
  }

  private async command(text: string): Promise<void> {
    const ack = await this.bot!.slash(text, this.user, this.channel, this.team);
    this.screen.print(`${this.c.dim('only visible to you ·')} ${inline(ack, this.c)}\n`);
    await this.working(`Working on /swarm ${text.split(/\s+/).slice(0, 2).join(' ')}…`);
  }

  private async click(n: number, option: string | undefined): Promise<void> {
    const picked = this.choices.get(n);
    if (!picked) {
      this.say(`There is no choice ${n}: the numbers are the ones in brackets beside buttons and menus, e.g. \`[1] Approve\`.`, true);
      return;
    }
    const message = this.bot!.chat.find(picked.channel, picked.ts);
    const buttons = (message?.reply.parts ?? []).filter((p): p is Buttons => p.kind === 'buttons');
    const { choice } = picked;
    const select = buttons.map((b) => b.select).find((s) => s?.actionId === choice.actionId);
    const still = choice.kind === 'select' ? select !== undefined : buttons.some((b) => b.buttons.some((x) => x.actionId === choice.actionId && x.value === choice.value));
    if (!message || !still) {
      this.say(`Choice ${n} (${choice.label}) is gone: its message has been updated since.`, true);
      return;
    }
    let selected: string | undefined;
    if (select) {
      const listed = select.options.map((o, i) => `${i + 1}. ${o.label}`).join('   ');
      const answer = option ?? (this.screen.ask ? await this.screen.ask(`${select.placeholder} ${listed} — which? `) : undefined);
      const i = answer !== undefined && /^\d+$/.test(answer.trim()) ? Number(answer.trim()) - 1 : select.options.findIndex((o) => [o.value, o.label].some((v) => v.toLowerCase() === answer?.trim().toLowerCase()));
      selected = select.options[i]?.value;
      if (!selected) {
        this.say(`Choice ${n} is a menu (${select.placeholder}): type \`:click ${n} N\` with N one of ${listed}.`, true);
        return;
      }
    }
    const refusal = await this.bot!.click({
      user: this.user,
      ...(this.team ? { team: this.team } : {}),
      channel: picked.channel,
      ts: picked.ts,
      buttons,
      actionId: choice.actionId,
      ...(choice.value !== undefined ? { value: choice.value } : {}),
      ...(selected !== undefined ? { selected } : {}),
    });
    if (refusal) this.screen.print(`${this.c.dim('only visible to you ·')} ${inline(refusal, this.c)}\n`);
    await this.working(`${choice.label}…`);
  }
}
