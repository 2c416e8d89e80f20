import { describe, expect, it } from 'vitest';
import { didYouMean, parseCommand, tokenize } from '../../src/commands/parse.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { UsageError } from '../../src/errors.js';

describe('tokenize', () => {
  it.each([
    ['status', ['status']],
    ['  nodes   --cluster  prod ', ['nodes', '--cluster', 'prod']],
    ['help "overlay create"', ['help', 'overlay create']],
    ["help 'join'", ['help', 'join']],
    ['help “join”', ['help', 'join']],
    ['join worker <tcp://10.0.0.5:2376>', ['join', 'worker', 'tcp://10.0.0.5:2376']],
    ['join worker <https://h.example:2376|h.example:2376>', ['join', 'worker', 'https://h.example:2376']],
  ])('%j', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });
});

describe('parseCommand accepts', () => {
  it.each([
    ['', 'help', {}],
    ['help', 'help', {}],
    ['help status', 'help', { topic: 'status' }],
    ['status', 'status', {}],
    ['STATUS', 'status', {}],
    ['status --cluster staging', 'status', { cluster: 'staging' }],
    ['status --cluster=staging', 'status', { cluster: 'staging' }],
    ['nodes', 'nodes', {}],
    ['nodes --cluster prod', 'nodes', { cluster: 'prod' }],
  ])('%j → %s', (text, name, args) => {
    const parsed = parseCommand(text);
    expect(parsed.name).toBe(name);
    expect(parsed.args).toEqual(args);
  });
});

describe('parseCommand refuses, saying what to type', () => {
  it.each([
    ['stauts', /Unknown command `stauts`. Did you mean `\/swarm status`\?/],
    ['nodez', /Did you mean `\/swarm nodes`\?/],
    ['frobnicate', /Unknown command `frobnicate`. Type `\/swarm help`/],
    ['status extra', /Unexpected `extra` after `status`. Usage: `\/swarm status \[--cluster C\]`/],
    ['status --clutser prod', /no option `--clutser`. Did you mean `--cluster`\?/],
    ['status --cluster', /`--cluster` needs a value/],
    ['status --cluster --cluster', /`--cluster` needs a value/],
    ['status --cluster a --cluster b', /given twice/],
    ['status --dry-run', /no option `--dry-run`/],
    ['x'.repeat(1001), /limit is 1000/],
  ])('%j', (text, message) => {
    expect(() => parseCommand(text)).toThrow(UsageError);
    expect(() => parseCommand(text)).toThrow(message);
  });
});

describe('registry', () => {
  it('has unique names, a usage line starting with /swarm and a summary for every command', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      expect(c.usage.startsWith(`/swarm ${c.name.split(' ')[0]}`)).toBe(true);
      expect(c.summary.length).toBeGreaterThan(5);
    }
  });

  it('suggests only close names', () => {
    expect(didYouMean('stat', ['status', 'nodes'])).toBe('status');
    expect(didYouMean('zzzzzz', ['status', 'nodes'])).toBeUndefined();
  });
});
