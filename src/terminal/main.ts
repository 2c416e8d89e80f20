/**
 * `npm start` with no command: the conversation. Interactive on a terminal
 * (line editing, history, Tab completes commands, a spinner while the bot
 * works); `--script FILE` (or lines piped in) plays one line after another
 * and prints a transcript.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createSpinner, type Spinner } from 'nanospinner';
import pc from 'picocolors';
import { REGISTRY } from '../commands/registry.js';
import { ConfigError, describeError, isUserFacing } from '../errors.js';
import type { Log, LogFields } from '../log.js';
import { startLocalBot } from '../composition/terminal-root.js';
import { Conversation, type Screen } from './conversation.js';
import { inline } from '../render/terminal.js';
import { writeDefaultFolder } from '../adapters/local/parameter-folder.js';
import { labDir, LocalSetupError, swarmTarget } from './swarm-target.js';

export interface ConversationArgs {
  /** a file of lines to play (`-`: standard input) */
  script?: string;
  /** a parameter folder (as `npm run setup -- --from DIR` takes) instead of the generated one */
  from?: string;
  /** every log line, not only errors */
  verbose?: boolean;
}

/** `--script FILE`, `--from DIR`, `--verbose`: the conversation's arguments, or undefined when argv asks for something else. */
export function conversationArgs(argv: string[]): ConversationArgs | undefined {
  const out: ConversationArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--script' || a === '--from') && argv[i + 1] !== undefined) out[a === '--script' ? 'script' : 'from'] = argv[++i]!;
    else if (a === '--verbose') out.verbose = true;
    else return undefined;
  }
  return out;
}

/** A transcript (a script, lines piped in): no spinner; a long action's phases are lines of their own, each once. */
class PlainScreen implements Screen {
  private lastPhase: string | undefined;
  print(text: string): void {
    process.stdout.write(text);
  }
  progress(text: string | undefined, o?: { phase?: boolean }): void {
    if (!o?.phase || text === undefined || text === this.lastPhase) return;
    this.lastPhase = text;
    process.stdout.write(pc.dim(`⏳ ${text}`) + '\n');
  }
}

/** stdout as the spinner sees it: a terminal that reports no width (0 columns) counts as 80 wide, not as infinitely many lines */
const SPINNER_STREAM = {
  write: (text: string) => process.stdout.write(text),
  get columns() {
    return process.stdout.columns || 80;
  },
} as unknown as NodeJS.WriteStream;

class TtyScreen implements Screen {
  private spinner?: Spinner;
  constructor(private readonly rl: readline.Interface) {}

  print(text: string): void {
    this.spinner?.clear();
    process.stdout.write(text);
    this.spinner?.render();
  }

  progress(text: string | undefined): void {
    if (text === undefined) {
      this.spinner?.stop();
      this.spinner = undefined;
    } else if (this.spinner) this.spinner.update({ text });
    else this.spinner = createSpinner(text, { stream: SPINNER_STREAM, color: 'cyan' }).start();
  }

  ask(question: string): Promise<string> {
    this.spinner?.clear();
    return new Promise((resolve) => this.rl.question(question, resolve));
  }
}

/** Tab: the registry's commands after `/swarm `, the conversation's own after `:`. */
function completer(line: string): [string[], string] {
  const meta = [':as approver', ':as you', ':click ', ':audit', ':watch', ':channel ', ':help', ':quit'];
  const prefix = /^\/swarm\s+/i.exec(line)?.[0] ?? '';
  const candidates = line.startsWith(':') ? meta : [...REGISTRY.keys()].map((name) => `${prefix}${name} `);
  const hits = candidates.filter((c) => c.startsWith(line));
  return [hits.length ? hits : candidates, line];
}

function localLog(screen: Screen, verbose: boolean): Log {
  const line = (level: string, message: string, fields?: LogFields) => screen.print(pc.dim(`[log ${level}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`) + '\n');
  return {
    info: (m, f) => verbose && line('info', m, f),
    warn: (m, f) => verbose && line('warn', m, f),
    error: (m, f) => line('error', m, f),
    appendKeys: () => undefined,
    resetKeys: () => undefined,
  };
}

interface Where {
  folder: string;
  unlockKeys: string;
  swarm: string;
  /** where the bot's table is kept between runs; undefined: in memory (`--from`: a folder about to be deployed holds no state) */
  state?: string;
  /** the swarm lab: its spare nodes, and that it outlives the conversation */
  lab?: { spares: Array<{ name: string; url: string }> };
}

/** The folder the conversation reads its parameters from, generated for the lab or the environment's swarm; the table's folder beside it. */
function parameterFolder(args: ConversationArgs, env: NodeJS.ProcessEnv): Where {
  if (args.from) {
    const folder = path.resolve(args.from);
    if (!existsSync(path.join(folder, 'policy.json'))) {
      throw new LocalSetupError(`${folder} has no policy.json: --from takes a folder laid out as \`npm run setup -- --from DIR\` reads it (policy.json, slack/, clusters/<name>/).`);
    }
    return { folder, unlockKeys: path.join(folder, 'unlock-keys'), swarm: `the clusters in ${folder}/clusters` };
  }
  const target = swarmTarget(env, (l) => process.stderr.write(`${l}\n`));
  const lab = target.cluster === 'lab';
  const base = lab ? labDir(env) : path.join(os.tmpdir(), `swarm-ops-local-${process.getuid?.() ?? 'user'}`);
  const folder = path.join(base, 'parameters');
  writeDefaultFolder(folder, target);
  return {
    folder,
    unlockKeys: path.join(base, 'unlock-keys'),
    swarm: `${target.source}, as cluster ${target.cluster}`,
    state: path.join(base, 'state'),
    ...(lab ? { lab: { spares: target.spares ?? [] } } : {}),
  };
}

/** The welcome's lines about the table and the lab's spare nodes. */
function welcomeLines(where: Where, state: { keptIn?: string | undefined; busyBy?: number | undefined }): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  if (state.keptIn) {
    const until = where.lab ? 'until the lab is rebuilt (`npm run lab -- up`)' : 'between runs (delete the folder to start afresh)';
    lines.push(['state', `${state.keptIn} (the bot's table: audit history, approvals, incidents), kept ${until}`]);
  } else if (state.busyBy !== undefined) {
    lines.push(['state', `in memory for this run: ${where.state} is in use by another conversation (pid ${state.busyBy})`]);
  } else {
    lines.push(['state', 'in memory for this run (with `--from`, nothing is written beside the folder)']);
  }
  const spares = where.lab?.spares ?? [];
  if (spares.length) {
    lines.push(['spare', `${spares.map((n) => `${n.name} ${n.url}`).join(', ')}: started outside the swarm, to join (e.g. \`/swarm join worker ${spares[0]!.url}\`)`]);
  }
  return lines;
}

/** Said on leaving: the lab runs on for the next conversation. */
const LAB_KEEPS_RUNNING = 'The swarm lab keeps running for next time (its nodes and their dockerd stay up); `npm run lab -- down` stops it.';

export async function runConversation(args: ConversationArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const interactive = !args.script && Boolean(process.stdin.isTTY);
  let where: ReturnType<typeof parameterFolder>;
  try {
    where = parameterFolder(args, env);
  } catch (err) {
    if (!(err instanceof LocalSetupError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }

  const rl = interactive ? readline.createInterface({ input: process.stdin, output: process.stdout, completer, historySize: 500 }) : undefined;
  const screen: Screen = rl ? new TtyScreen(rl) : new PlainScreen();
  const conversation = new Conversation(screen, pc.isColorSupported);
  const bot = await startLocalBot({
    folder: where.folder,
    unlockKeysDir: where.unlockKeys,
    ...(where.state ? { stateDir: where.state } : {}),
    log: localLog(screen, args.verbose ?? false),
    onChat: (e) => conversation.onChat(e),
  });
  const goodbye = () => (where.lab ? `${inline(LAB_KEEPS_RUNNING, pc)}\n` : '');
  try {
    try {
      await conversation.attach(bot);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    await conversation.welcome([
      ['swarm', where.swarm],
      ['settings', `${where.folder} (policy.json, slack/, clusters/): the layout \`npm run setup\` puts into SSM`],
      ...welcomeLines(where, bot.state),
    ]);
    if (rl) return await interact(rl, conversation, goodbye);
    const lines = args.script && args.script !== '-' ? readFileSync(args.script, 'utf8').split(/\r?\n/) : readline.createInterface({ input: process.stdin, terminal: false });
    for await (const line of lines) {
      if (!line.trim()) continue;
      screen.print(`\n${line.trim().startsWith('#') ? pc.dim(line) : `${conversation.prompt()}${line}`}\n`);
      if (!(await conversation.handle(line))) break;
    }
    process.stdout.write(`\n${goodbye()}`);
    return conversation.problems ? 1 : 0;
  } catch (err) {
    process.stderr.write(`${isUserFacing(err) ? err.message : JSON.stringify(describeError(err))}\n`);
    return 1;
  } finally {
    rl?.close();
    await bot.close();
  }
}

async function interact(rl: readline.Interface, conversation: Conversation, goodbye: () => string): Promise<number> {
  // Ctrl-C leaves at once, also while the bot works (what it was doing is the swarm's to finish or not)
  rl.on('SIGINT', () => {
    process.stdout.write(`\n${goodbye()}`);
    process.exit(130);
  });
  rl.setPrompt(conversation.prompt());
  rl.prompt();
  // lines typed while the bot works wait their turn
  for await (const line of rl) {
    if (!(await conversation.handle(line))) break;
    rl.setPrompt(conversation.prompt());
    rl.prompt();
  }
  // :quit, or Ctrl-D
  process.stdout.write(`\n${goodbye()}`);
  return 0;
}
