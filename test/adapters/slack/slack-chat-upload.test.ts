/** files.uploadV2 through SlackChat against a stand-in of Slack's three steps (upload URL, bytes, complete). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeAttachment } from '../../../src/adapters/local/attachment-files.js';
import { SlackChat } from '../../../src/adapters/slack/slack-chat.js';

async function slackFiles() {
  const calls: Array<{ path: string; body: Buffer; form: Record<string, string> }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = String(req.headers['content-type']).includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(body.toString())) : {};
      const path = (req.url ?? '').split('?')[0]!;
      calls.push({ path, body, form });
      const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (path === '/api/files.getUploadURLExternal') return json({ ok: true, upload_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload/F0PNG`, file_id: 'F0PNG' });
      if (path === '/upload/F0PNG') return res.writeHead(200).end('OK - 1');
      if (path === '/api/files.completeUploadExternal') return json({ ok: true, files: [{ id: 'F0PNG', title: form['files'] }] });
      json({ ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, close: () => new Promise((r) => server.close(r)) };
}

describe('SlackChat.upload', () => {
  it('asks for an upload URL, sends the bytes, and shares the file in the channel (or thread) with its title', async () => {
    const slack = await slackFiles();
    try {
      const bytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      await new SlackChat('xoxb-test', { slackApiUrl: slack.url }).upload('C0OPS', { filename: 'overlay-check-app.png', title: 'Overlay check app', bytes }, { threadTs: '1700000000.000100' });
      const [ask, send, complete] = slack.calls;
      expect(ask).toMatchObject({ path: '/api/files.getUploadURLExternal', form: { filename: 'overlay-check-app.png', length: String(bytes.length) } });
      expect(send!.path).toBe('/upload/F0PNG');
      expect(send!.body.includes(Buffer.from(bytes))).toBe(true);
      expect(complete).toMatchObject({ path: '/api/files.completeUploadExternal', form: { channel_id: 'C0OPS', thread_ts: '1700000000.000100' } });
      expect(JSON.parse(complete!.form['files']!)).toEqual([{ id: 'F0PNG', title: 'Overlay check app' }]);
    } finally {
      await slack.close();
    }
  });
});

describe('writeAttachment (the local runner\'s stand-in for an upload)', () => {
  it('writes the bytes under the file\'s own name, never outside the directory, and returns the path', () => {
    const where = writeAttachment({ filename: '../../etc/overlay.png', title: 't', bytes: Uint8Array.from([1, 2, 3]) });
    expect(where).toMatch(/\/swarm-ops-[^/]+\/overlay\.png$/);
    expect([...readFileSync(where)]).toEqual([1, 2, 3]);
  });
});
