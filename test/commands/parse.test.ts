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
    ['help overlay create', 'help', { topic: 'overlay create' }],
    ['help "join manager"', 'help', { topic: 'join manager' }],
    ['rotate Both', 'rotate', { which: 'both' }],
    ['overlay create app —dry-run', 'overlay create', { name: 'app', 'dry-run': true }],
    ['   status   ' + ' '.repeat(1500), 'status', {}],
    ['status', 'status', {}],
    ['STATUS', 'status', {}],
    ['status --cluster staging', 'status', { cluster: 'staging' }],
    ['status --cluster=staging', 'status', { cluster: 'staging' }],
    ['nodes', 'nodes', {}],
    ['nodes --cluster prod', 'nodes', { cluster: 'prod' }],
    ['join worker tcp://10.0.1.25:2376', 'join worker', { url: { url: 'tcp://10.0.1.25:2376', host: '10.0.1.25', port: 2376 } }],
    ['join worker https://node-7.example.com:2376/', 'join worker', { url: { url: 'tcp://node-7.example.com:2376', host: 'node-7.example.com', port: 2376 } }],
    ['join worker <tcp://10.0.1.25:2376> --advertise-addr 10.0.1.25 --data-path-addr 10.9.0.25 --dry-run', 'join worker', { url: { url: 'tcp://10.0.1.25:2376', host: '10.0.1.25', port: 2376 }, 'advertise-addr': '10.0.1.25', 'data-path-addr': '10.9.0.25', 'dry-run': true }],
    ['join manager tcp://[fd00::5]:2376 --cluster staging', 'join manager', { url: { url: 'tcp://[fd00::5]:2376', host: 'fd00::5', port: 2376 }, cluster: 'staging' }],
    ['rotate worker', 'rotate', { which: 'worker' }],
    ['rotate both --dry-run', 'rotate', { which: 'both', 'dry-run': true }],
    ['overlay ls', 'overlay ls', {}],
    ['overlay create app-net', 'overlay create', { name: 'app-net' }],
    ['overlay create app_net-v2 --encrypted --no-attachable --subnet 10.20.0.0/24 --gateway 10.20.0.1', 'overlay create', { name: 'app_net-v2', encrypted: true, 'no-attachable': true, subnet: '10.20.0.0/24', gateway: '10.20.0.1' }],
    ['overlay create v6 --subnet fd00:20::/64', 'overlay create', { name: 'v6', subnet: 'fd00:20::/64' }],
    ['overlay rm app-net --dry-run', 'overlay rm', { name: 'app-net', 'dry-run': true }],
    ['overlay check app-net', 'overlay check', { name: 'app-net' }],
    ['promote worker-3', 'promote', { node: 'worker-3' }],
    ['demote x7k2p', 'demote', { node: 'x7k2p' }],
    ['drain worker-3 --dry-run', 'drain', { node: 'worker-3', 'dry-run': true }],
    ['activate worker-3', 'activate', { node: 'worker-3' }],
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
    ['join', /`join` needs a subcommand. Type one of: `\/swarm join worker`, `\/swarm join manager`/],
    ['join wroker tcp://h:1', /Did you mean `\/swarm join worker`\?/],
    ['join worker', /`join worker` needs <docker-api-url>/],
    ['join worker 10.0.1.25:2376', /is not a Docker API URL. Type it as tcp:\/\/HOST:PORT/],
    ['join worker http://10.0.1.25:2376', /not a Docker API URL/],
    ['join worker tcp://10.0.1.25:99999', /not a Docker API URL/],
    ['join worker ssh://root@10.0.1.25', /not a Docker API URL/],
    ['join worker tcp://10.0.1.25:2376 --advertise-addr nope', /--advertise-addr: `nope` is not an IP address/],
    ['rotate', /`rotate` needs <worker\|manager\|both>/],
    ['rotate all', /<worker\|manager\|both>: say which tokens: `worker`, `manager`, `both`/],
    ['rotate workers', /<worker\|manager\|both>: did you mean `worker`\?/],
    ['overlay', /`overlay` needs a subcommand/],
    ['overlay delete app', /Unknown `overlay delete`/],
    ['overlay create', /needs <name>/],
    ['overlay create "my net"', /<name>: use letters, digits/],
    ['overlay create ' + 'a'.repeat(64), /at most 63/],
    ['overlay create my.net', /no dots/],
    ['overlay create app-', /not at the start or end/],
    ['overlay create app --encrypted=yes', /takes no value/],
    ['overlay ls --dry-run', /no option `--dry-run`/],
    ['promote', /needs <node>/],
    ['promote a b', /Unexpected `b`/],
    ['drain ../etc', /<node>: type a node hostname/],
    ['promot w1', /Did you mean `\/swarm promote`\?/],
  ])('%j', (text, message) => {
    expect(() => parseCommand(text)).toThrow(UsageError);
    expect(() => parseCommand(text)).toThrow(message);
  });
});

describe('join tokens typed into Slack', () => {
  it.each(['drain SWMTKN-1-abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijkl', 'status --cluster SWMTKN-1-0123456789abcdefghij', 'help swmtkn-1-x'])(
    'are refused without being echoed: %s',
    (text) => {
      expect(() => parseCommand(text)).toThrow(/looks like a swarm join token.*\/swarm rotate both/);
      try {
        parseCommand(text);
      } catch (err) {
        expect((err as Error).message).not.toMatch(/SWMTKN-1-[a-z0-9]/i);
      }
    },
  );
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
