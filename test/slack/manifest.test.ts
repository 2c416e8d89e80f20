/** slack/manifest.yml: what Slack is told about the app must match what the code serves and uses. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REGISTRY } from '../../src/commands/registry.js';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = parse(readFileSync(path.join(root, 'slack/manifest.yml'), 'utf8')) as {
  features: { slash_commands: Array<{ command: string; url: string; usage_hint: string; description: string; should_escape: boolean }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string } };
};
const URL_PLACEHOLDER = 'https://<your-api-id>.execute-api.<region>.amazonaws.com/slack/events';

describe('the Slack app manifest', () => {
  it('declares /swarm, whose usage hint names every command of the registry', () => {
    const [swarm, ...others] = manifest.features.slash_commands;
    expect(others).toEqual([]);
    expect(swarm).toMatchObject({ command: '/swarm', url: URL_PLACEHOLDER, should_escape: true });
    const words = new Set(swarm!.usage_hint.split(/[^a-z]+/));
    for (const name of REGISTRY.keys()) {
      for (const word of name.split(' ')) expect(words, `"${word}" of /swarm ${name}`).toContain(word);
    }
    expect(swarm!.description).toMatch(/\/swarm help/);
  });

  it('sends interactivity to the same endpoint, which serverless.yml serves', () => {
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: URL_PLACEHOLDER });
    const serverless = readFileSync(path.join(root, 'serverless.yml'), 'utf8');
    expect(serverless).toMatch(/httpApi:\s*\n\s*method: POST\s*\n\s*path: \/slack\/events/);
  });

  it('asks for the minimum bot scopes: the command, posting (also where the bot is no member), the heatmap upload', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'chat:write.public', 'files:write']);
    // every Web API method the bot calls is covered (a new method may need a new scope: add it to both)
    const SCOPE: Record<string, string> = { 'chat.postMessage': 'chat:write', 'chat.update': 'chat:write', filesUploadV2: 'files:write' };
    const chat = readFileSync(path.join(root, 'src/adapters/slack/slack-chat.ts'), 'utf8');
    const methods = [...chat.matchAll(/this\.web\.(\w+(?:\.\w+)?)\(/g)].map((m) => m[1]!);
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) expect(manifest.oauth_config.scopes.bot, `the scope of ${m}`).toContain(SCOPE[m]);
  });
});
