/** Fakes of our own ports (never of dockerode or the AWS SDK) for unit tests of the app layer. */
import type { Audit } from '../../src/audit.js';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import type { AuditEvent } from '../../src/jobs.js';
import type { Log } from '../../src/log.js';
import type { ChatPort, ClusterCredentials, CredentialStore, JobQueue, PolicyStore, ResponseMessage } from '../../src/ports.js';
import type { SlackMessage } from '../../src/render/block-kit.js';

export function testPolicy(over: Record<string, unknown> = {}): Policy {
  return parsePolicy(
    JSON.stringify({
      defaultCluster: 'prod',
      auditChannel: 'C0AUDIT',
      channels: { C0STAGING: 'staging' },
      roles: { viewer: ['U0VIEW'], operator: ['U0OPS'], approver: ['U0APPROVE'] },
      clusters: { prod: { rotate: ['worker'] }, staging: {} },
      ...over,
    }),
  );
}

export const policies = (policy: Policy = testPolicy()): PolicyStore => ({ policy: async () => policy });

export class FakeChat implements ChatPort {
  responses: Array<{ url: string; message: ResponseMessage }> = [];
  posts: Array<{ channel: string; message: SlackMessage }> = [];
  updates: Array<{ channel: string; ts: string; message: SlackMessage }> = [];
  async respond(url: string, message: ResponseMessage) {
    this.responses.push({ url, message });
  }
  async postMessage(channel: string, message: SlackMessage) {
    this.posts.push({ channel, message });
    return { ts: `${this.posts.length}.0001` };
  }
  async update(channel: string, ts: string, message: SlackMessage) {
    this.updates.push({ channel, ts, message });
  }
}

export class FakeQueue implements JobQueue {
  jobs: unknown[] = [];
  async enqueue(job: unknown) {
    this.jobs.push(job);
  }
}

export class FakeAudit implements Audit {
  events: AuditEvent[] = [];
  async record(event: AuditEvent) {
    this.events.push(event);
  }
}

export class MemoryLog implements Log {
  lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  info(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, fields });
  }
}

export const credentials = (): CredentialStore & { invalidated: string[] } => {
  const invalidated: string[] = [];
  const creds: ClusterCredentials = { endpoints: ['tcp://10.0.0.1:2376'], ca: 'ca', cert: 'cert', key: 'key' };
  return { invalidated, clusterCredentials: async () => creds, invalidate: (c: string) => void invalidated.push(c) };
};
