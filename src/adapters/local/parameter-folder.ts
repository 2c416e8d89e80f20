/**
 * The bot's SSM parameters as a folder of files: what `npm run setup --
 * --from DIR` puts into Parameter Store, and what the local conversation
 * reads instead of SSM. One layout for both, so a folder tried locally is the
 * folder deployed.
 *
 *   DIR/policy.json                       → policy                     String
 *   DIR/slack/signing-secret              → slack/signing-secret       SecureString
 *   DIR/slack/bot-token                   → slack/bot-token            SecureString
 *   DIR/slack/bot-user-id                 → slack/bot-user-id          String
 *   DIR/clusters/<name>/endpoints         → clusters/<name>/endpoints  StringList (one URL a line, or commas)
 *   DIR/clusters/<name>/ca.pem            → clusters/<name>/ca         SecureString
 *   DIR/clusters/<name>/cert.pem          → clusters/<name>/cert       SecureString
 *   DIR/clusters/<name>/key.pem           → clusters/<name>/key        SecureString
 *
 * `clusters/<name>/unlock-key` is the bot's to write (autolock): never read from a folder.
 */
import { randomBytes } from 'node:crypto';
import { clusterParameter, clusterPrefix, SSM_NAMES, type ClusterKey } from '../../config/ssm-names.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy, type Policy } from '../../config/policy.js';
import { ConfigError, UnknownClusterError } from '../../errors.js';
import type { ClusterCredentials, CredentialStore, PolicyStore, SlackSecrets } from '../../ports.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface FolderParameter {
  /** relative to the SSM prefix, e.g. `clusters/prod/ca` */
  name: string;
  type: ParameterType;
  /** the file it comes from, relative to the folder */
  file: string;
  value: string;
}

export const SLACK_FILES = [
  { file: SSM_NAMES.signingSecret, type: 'SecureString' },
  { file: SSM_NAMES.botToken, type: 'SecureString' },
  { file: SSM_NAMES.botUserId, type: 'String' },
] as const;

export const CLUSTER_FILES = [
  { file: 'endpoints', key: 'endpoints', type: 'StringList' },
  { file: 'ca.pem', key: 'ca', type: 'SecureString' },
  { file: 'cert.pem', key: 'cert', type: 'SecureString' },
  { file: 'key.pem', key: 'key', type: 'SecureString' },
] as const satisfies ReadonlyArray<{ file: string; key: ClusterKey; type: ParameterType }>;

/** A cluster's folder name is a cluster name: nothing that could climb out of the folder. */
export const CLUSTER_DIR_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

const readIf = (file: string): string | undefined => (existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined);

/** `tcp://a:2376, tcp://b:2376` or one a line: the StringList's comma-separated value. */
export const endpointList = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** What a file holds, as it goes into SSM: PEM files as they are, the rest without surrounding blanks. */
function parameterValue(file: string, raw: string): string {
  if (file.endsWith('endpoints')) return endpointList(raw).join(',');
  return file.endsWith('.pem') ? raw : raw.trim();
}

/** The cluster folders under DIR/clusters (names only; their files are checked by whoever needs them). */
export function clusterDirs(dir: string): string[] {
  const root = path.join(dir, 'clusters');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Every parameter the folder holds a file for, in the order setup shows them. Missing files are simply absent. */
export function readFolder(dir: string): FolderParameter[] {
  const out: FolderParameter[] = [];
  const add = (file: string, name: string, type: ParameterType) => {
    const raw = readIf(path.join(dir, file));
    if (raw !== undefined) out.push({ name, type, file, value: parameterValue(file, raw) });
  };
  add('policy.json', SSM_NAMES.policy, 'String');
  for (const s of SLACK_FILES) add(s.file, s.file, s.type);
  for (const cluster of clusterDirs(dir).filter((c) => CLUSTER_DIR_NAME.test(c))) {
    for (const f of CLUSTER_FILES) add(`${clusterPrefix(cluster)}/${f.file}`, clusterParameter(cluster, f.key), f.type);
  }
  return out;
}

/**
 * The parameter folder as the bot's policy, credential and secret stores.
 * Files are read on every call, so an edit of policy.json takes effect with
 * the next command (SSM's values are cached 60 s; a folder needs no cache).
 */
export class FolderParameters implements PolicyStore, CredentialStore {
  private parsed?: { raw: string; policy: Policy };

  constructor(readonly dir: string) {}

  private read(file: string): string | undefined {
    return readIf(path.join(this.dir, file));
  }

  async policy(): Promise<Policy> {
    const file = path.join(this.dir, 'policy.json');
    const raw = this.read('policy.json');
    if (raw === undefined) throw new ConfigError(`There is no policy.json in ${this.dir}. Write one (see "Policy" in the README), then check it with \`npm run policy:check -- ${file}\`.`);
    if (this.parsed?.raw !== raw) {
      try {
        this.parsed = { raw, policy: parsePolicy(raw) };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new ConfigError(`${file}: ${err.message} Run \`npm run policy:check -- ${file}\` for each problem in plain words.`, { cause: err });
      }
    }
    return this.parsed.policy;
  }

  async clusterCredentials(cluster: string): Promise<ClusterCredentials> {
    const rel = clusterPrefix(cluster);
    if (!CLUSTER_DIR_NAME.test(cluster) || !existsSync(path.join(this.dir, rel))) {
      throw new UnknownClusterError(`Cluster \`${cluster}\` has no folder ${path.join(this.dir, rel)}/ holding its endpoints, ca.pem, cert.pem and key.pem.`);
    }
    const files = Object.fromEntries(CLUSTER_FILES.map((f) => [f.key, this.read(`${rel}/${f.file}`)]));
    const missing = CLUSTER_FILES.filter((f) => !files[f.key]?.trim()).map((f) => `${rel}/${f.file}`);
    if (missing.length) throw new ConfigError(`Cluster ${cluster} is missing ${missing.join(', ')} in ${this.dir}.`);
    return { endpoints: endpointList(files['endpoints']!), ca: files['ca']!, cert: files['cert']!, key: files['key']! };
  }

  /** Nothing is cached: the next read sees the files as they are. */
  invalidate(): void {}

  async slackSecrets(): Promise<SlackSecrets> {
    const [signingSecret, botToken, botUserId] = SLACK_FILES.map((s) => this.read(s.file)?.trim());
    const missing = SLACK_FILES.filter((_, i) => ![signingSecret, botToken, botUserId][i]).map((s) => s.file);
    if (missing.length) throw new ConfigError(`${this.dir} is missing ${missing.join(', ')}.`);
    return { signingSecret: signingSecret!, botToken: botToken!, botUserId: botUserId! };
  }

  async botToken(): Promise<string> {
    return (await this.slackSecrets()).botToken;
  }
}

/** The two people of the generated policy: you (operator and approver) and a second approver. */
export const LOCAL_PEOPLE = { you: 'ULOCAL', approver: 'UAPPROVER' } as const;
export const LOCAL_CHANNELS = { ops: 'C0OPS', audit: 'C0AUDIT', alerts: 'C0ALERTS' } as const;

/** The policy of a generated folder: one cluster, limited to the ops channel, two people, a watch channel. */
export function defaultPolicy(cluster: string, probeImage: string, o: { ipsec?: boolean } = {}): Record<string, unknown> {
  return {
    defaultCluster: cluster,
    auditChannel: LOCAL_CHANNELS.audit,
    channels: { [LOCAL_CHANNELS.ops]: cluster },
    roles: { viewer: [], operator: [LOCAL_PEOPLE.you], approver: [LOCAL_PEOPLE.you, LOCAL_PEOPLE.approver] },
    approvalTtlMinutes: 15,
    probeImage,
    rotateAfterJoin: true,
    clusters: {
      [cluster]: { rotate: ['worker'], allowChannels: [LOCAL_CHANNELS.ops], ...(o.ipsec === false ? { ipsec: false } : {}), watch: { channel: LOCAL_CHANNELS.alerts, graceMinutes: 0 } },
    },
  };
}

/**
 * Writes a folder for a local swarm: the cluster's endpoints and TLS files
 * every time (the lab makes new ones when it is rebuilt), and a policy and
 * Slack secrets only when there are none yet (an edited policy.json stays).
 */
export function writeDefaultFolder(dir: string, o: { cluster: string; creds: ClusterCredentials; probeImage: string; ipsec?: boolean }): void {
  const put = (file: string, text: string, mode = 0o600, keep = false) => {
    const full = path.join(dir, file);
    if (keep && existsSync(full)) return;
    mkdirSync(path.dirname(full), { recursive: true, mode: 0o700 });
    writeFileSync(full, text, { mode });
  };
  put('policy.json', JSON.stringify(defaultPolicy(o.cluster, o.probeImage, o.ipsec === undefined ? {} : { ipsec: o.ipsec }), null, 2) + '\n', 0o644, true);
  // nothing leaves this machine: the signing secret signs the local jobs and buttons, the token is never sent
  put(SSM_NAMES.signingSecret, randomBytes(32).toString('hex') + '\n', 0o600, true);
  put(SSM_NAMES.botToken, 'xoxb-local-never-sent\n', 0o600, true);
  put(SSM_NAMES.botUserId, 'U0LOCALBOT\n', 0o644, true);
  put(`${clusterPrefix(o.cluster)}/endpoints`, o.creds.endpoints.join('\n') + '\n', 0o644);
  put(`${clusterPrefix(o.cluster)}/ca.pem`, o.creds.ca, 0o644);
  put(`${clusterPrefix(o.cluster)}/cert.pem`, o.creds.cert, 0o644);
  put(`${clusterPrefix(o.cluster)}/key.pem`, o.creds.key);
}
