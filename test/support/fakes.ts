/** Fakes of our own ports (never of dockerode or the AWS SDK) for unit tests of the app layer. */
import type { Audit } from '../../src/shared/audit-trail.js';
import { parsePolicy, type Policy } from '../../src/config/policy.js';
import type { AuditEvent } from '../../src/jobs.js';
import type { Log } from '../../src/log.js';
import type { AuditHistory, AuditQuery, ChatPort, Claims, JobLedger, ClusterCredentials, CredentialStore, JobQueue, PendingApproval, PendingApprovals, PolicyStore } from '../../src/ports.js';
import type { Attachment, Reply } from '../../src/domain/reply.js';
import type { Job } from '../../src/jobs.js';
import { renderBlockKit, type SlackMessage } from '../../src/render/block-kit.js';

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

/** Records what would reach Slack, rendered as Slack would get it. */
export class FakeChat implements ChatPort {
  responses: Array<{ url: string; reply: Reply; message: SlackMessage & { response_type: string; replace_original?: boolean } }> = [];
  posts: Array<{ channel: string; reply: Reply; message: SlackMessage; threadTs?: string }> = [];
  updates: Array<{ channel: string; ts: string; reply: Reply; message: SlackMessage }> = [];
  async respond(url: string, reply: Reply, opts: { replaceOriginal?: boolean } = {}) {
    this.responses.push({
      url,
      reply,
      message: { response_type: reply.visibility, ...(opts.replaceOriginal !== undefined ? { replace_original: opts.replaceOriginal } : {}), ...renderBlockKit(reply) },
    });
  }
  async post(channel: string, reply: Reply, opts: { threadTs?: string } = {}) {
    this.posts.push({ channel, reply, message: renderBlockKit(reply), ...(opts.threadTs ? { threadTs: opts.threadTs } : {}) });
    return { ts: `${this.posts.length}.0001` };
  }
  async update(channel: string, ts: string, reply: Reply) {
    this.updates.push({ channel, ts, reply, message: renderBlockKit(reply) });
  }
  uploads: Array<{ channel: string; file: Attachment; threadTs?: string }> = [];
  async upload(channel: string, file: Attachment, opts: { threadTs?: string } = {}) {
    this.uploads.push({ channel, file, ...(opts.threadTs ? { threadTs: opts.threadTs } : {}) });
  }
}

/** The bot's table, in memory, with the same first-writer-wins rule as the DynamoDB adapter. */
export class MemoryState implements Claims, PendingApprovals, AuditHistory {
  claimed = new Map<string, string>();
  pending = new Map<string, PendingApproval>();
  events: AuditEvent[] = [];
  async claim(key: string, owner: string, opts: { note?: string } = {}) {
    if (this.claimed.has(key)) return this.claimed.get(key) === owner;
    this.claimed.set(key, owner);
    if (opts.note) this.notes.set(key, opts.note);
    return true;
  }
  counts = new Map<string, number>();
  async increment(key: string) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return this.counts.get(key)!;
  }
  notes = new Map<string, string>();
  async holder(key: string) {
    const owner = this.claimed.get(key);
    return owner === undefined ? undefined : { owner, ...(this.notes.has(key) ? { note: this.notes.get(key)! } : {}) };
  }
  async release(key: string, owner: string) {
    if (this.claimed.get(key) === owner) this.claimed.delete(key);
  }
  async record(p: PendingApproval) {
    this.pending.set(p.id, p);
  }
  async due(now: Date) {
    return [...this.pending.values()].filter((p) => p.exp <= now.getTime());
  }
  async forget(id: string) {
    this.pending.delete(id);
  }
  async append(e: AuditEvent) {
    this.events.push(e);
  }
  async query(q: AuditQuery) {
    return this.events
      .filter((e) => e.at >= q.since.toISOString() && (!q.cluster || e.cluster === q.cluster) && (!q.user || e.user === q.user || e.approver === q.user))
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, q.limit);
  }
}

export class FakeQueue implements JobQueue {
  jobs: Job[] = [];
  async enqueue(job: Job) {
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
    this.lines.push({ level: 'error', message, fields: { ...this.keys, ...fields } });
  }
  keys: Record<string, unknown> = {};
  appendKeys(keys: Record<string, unknown>) {
    Object.assign(this.keys, keys);
  }
  resetKeys() {
    this.keys = {};
  }
}

export const credentials = (): CredentialStore & { invalidated: string[] } => {
  const invalidated: string[] = [];
  const creds: ClusterCredentials = { endpoints: ['tcp://10.0.0.1:2376'], ca: 'ca', cert: 'cert', key: 'key' };
  return { invalidated, clusterCredentials: async () => creds, invalidate: (c: string) => void invalidated.push(c) };
};

/** The unlock-key store in memory (SSM in production). */
export class MemoryUnlockKeys {
  keys = new Map<string, string>();
  failPut = false;
  async put(cluster: string, key: string) {
    if (this.failPut) throw new Error('AccessDeniedException: not allowed to write the unlock key');
    this.keys.set(cluster, key);
  }
  async get(cluster: string) {
    return this.keys.get(cluster);
  }
}

/** The job ledger in memory: the same three answers as the Powertools one. */
export class MemoryLedger implements JobLedger {
  states = new Map<string, 'running' | 'done'>();
  async once(key: string, work: () => Promise<void>) {
    const s = this.states.get(key);
    if (s === 'done') return 'repeat' as const;
    if (s === 'running') return 'in-progress' as const;
    this.states.set(key, 'running');
    try {
      await work();
      this.states.set(key, 'done');
    } catch (err) {
      this.states.delete(key);
      throw err;
    }
    return 'ran' as const;
  }
}
