/** Configuration (SSM), Slack, the job queue (Lambda) and the clock. */
import type { Policy, TokenKind } from '../config/policy.js';
import type { Attachment, Reply } from '../domain/reply.js';
import type { Job } from '../jobs.js';

export interface ClusterCredentials {
  endpoints: string[];
  ca: string;
  cert: string;
  key: string;
}

export interface CredentialStore {
  clusterCredentials(cluster: string): Promise<ClusterCredentials>;
  /** forget cached credentials, e.g. after a TLS failure */
  invalidate(cluster: string): void;
}

export interface PolicyStore {
  policy(): Promise<Policy>;
}

export interface SlackSecrets {
  signingSecret: string;
  botToken: string;
  botUserId: string;
}

// ---- Slack and Lambda ------------------------------------------------------

/** Slack, spoken in replies: the adapter renders them to Block Kit. */
export interface ChatPort {
  /** POST to an interaction's response_url; `in_channel` or `ephemeral` from the reply */
  respond(responseUrl: string, reply: Reply, opts?: { replaceOriginal?: boolean }): Promise<void>;
  post(channel: string, reply: Reply, opts?: { threadTs?: string }): Promise<{ ts: string }>;
  update(channel: string, ts: string, reply: Reply): Promise<void>;
  /** uploads a file (e.g. a PNG) into a channel, or a thread in it (files.uploadV2; scope files:write) */
  upload(channel: string, file: Attachment, opts?: { threadTs?: string }): Promise<void>;
}

export interface JobQueue {
  enqueue(job: Job): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export type { TokenKind };
