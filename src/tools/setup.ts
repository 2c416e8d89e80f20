/**
 * `npm run setup -- --stage prod --from DIR [--apply]`: checks a parameter
 * folder (src/adapters/local/parameter-folder.ts has its layout), then shows what it
 * would put into SSM Parameter Store under /swarm-ops/<stage> — names, types,
 * and whether each is new, changed or unchanged, never a secret's value —
 * and puts it with --apply. The AWS SDK's own settings apply (credentials,
 * AWS_REGION, AWS_ENDPOINT_URL_SSM).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { clusterPrefix, SSM_NAMES } from '../config/ssm-names.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GetParametersCommand, PutParameterCommand, SSMClient, type ParameterTier } from '@aws-sdk/client-ssm';
import pc from 'picocolors';
import { dockerApiUrl } from '../commands/validators.js';
import { knownClusters } from '../config/policy.js';
import { CLUSTER_DIR_NAME, CLUSTER_FILES, clusterDirs, endpointList, readFolder, SLACK_FILES, type FolderParameter } from '../adapters/local/parameter-folder.js';
import { checkPolicyText } from './policy-check.js';

export interface FolderCheck {
  errors: string[];
  warnings: string[];
  parameters: FolderParameter[];
}

/** Standard-tier parameters hold at most 4 KB; larger ones need the Advanced tier (which costs). */
const STANDARD_MAX = 4096;
const DAY_MS = 86_400_000;
/** extended key usage: TLS client authentication */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const SLACK_HELP: Record<string, { test: RegExp; what: string }> = {
  [SSM_NAMES.signingSecret]: { test: /^[0-9a-f]{16,}$/i, what: 'the Signing Secret from the Slack app\'s Basic Information page' },
  [SSM_NAMES.botToken]: { test: /^xoxb-[0-9A-Za-z-]+$/, what: 'the Bot User OAuth Token (xoxb-…) from the app\'s OAuth & Permissions page; a user token (xoxp-) or an app token (xapp-) will not do' },
  [SSM_NAMES.botUserId]: { test: /^[UW][A-Z0-9]{2,}$/, what: 'the bot\'s member ID (U…): in Slack, the bot\'s profile, ⋮, Copy member ID' },
};

/** A cluster's endpoints and TLS files: parseable, matching, signed by the CA given, still valid. */
function checkCluster(name: string, files: Record<string, string | undefined>, now: Date, errors: string[], warnings: string[]): void {
  const at = clusterPrefix(name);
  for (const raw of endpointList(files['endpoints'] ?? '')) {
    const url = dockerApiUrl.safeParse(raw);
    if (!url.success) errors.push(`${at}/endpoints: ${url.error.issues[0]?.message.replace(/`/g, '')}.`);
  }
  const parse = <T>(file: string, what: string, make: (pem: string) => T): T | undefined => {
    try {
      return make(files[file]!);
    } catch {
      errors.push(`${at}/${file} is not ${what} in PEM form (-----BEGIN …-----).`);
      return undefined;
    }
  };
  const ca = parse('ca', 'a certificate', (p) => new X509Certificate(p));
  const cert = parse('cert', 'a certificate', (p) => new X509Certificate(p));
  const key = parse('key', 'a private key', (p) => createPrivateKey(p));
  if (!cert) return;
  if (key && !cert.checkPrivateKey(key)) errors.push(`${at}/key.pem is not the key of ${at}/cert.pem: put the key that cert.pem was made with.`);
  if (ca && !(cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    errors.push(`${at}/cert.pem was not signed by ${at}/ca.pem: the managers trust only certificates of the CA that signed theirs. Put that CA in ca.pem, and a client certificate it signed in cert.pem.`);
  }
  const left = new Date(cert.validTo).getTime() - now.getTime();
  if (left <= 0) errors.push(`${at}/cert.pem expired on ${cert.validTo}: make a new client certificate with the cluster's CA.`);
  else if (left < 30 * DAY_MS) {
    const days = Math.floor(left / DAY_MS);
    warnings.push(`${at}/cert.pem expires ${days ? `in ${days} day${days === 1 ? '' : 's'}` : 'within a day'} (${cert.validTo}): the bot loses the cluster then.`);
  }
  if (cert.keyUsage && !cert.keyUsage.includes(CLIENT_AUTH)) {
    errors.push(`${at}/cert.pem is not a client certificate (its extended key usage lacks clientAuth): the daemons will refuse it. Make it with extendedKeyUsage=clientAuth.`);
  }
}

/** Everything `setup` checks before it shows or puts anything. */
export function checkFolder(dir: string, now = new Date()): FolderCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!existsSync(dir)) return { errors: [`${dir} does not exist.`], warnings, parameters: [] };
  const parameters = readFolder(dir);
  const byFile = new Map(parameters.map((p) => [p.file, p]));

  const policyFile = byFile.get('policy.json');
  let clusters: string[] = [];
  if (!policyFile) errors.push('policy.json is missing: write the policy (see "Policy" in the README).');
  else {
    const report = checkPolicyText(policyFile.value);
    errors.push(...report.errors.map((e) => `policy.json: ${e}`));
    warnings.push(...report.warnings.map((w) => `policy.json: ${w}`));
    if (report.policy) clusters = knownClusters(report.policy);
  }

  for (const s of SLACK_FILES) {
    const value = byFile.get(s.file)?.value;
    const help = SLACK_HELP[s.file]!;
    if (!value) errors.push(`${s.file} is missing or empty: put ${help.what} in it.`);
    else if (!help.test.test(value)) errors.push(`${s.file} does not look right: it should hold ${help.what}.`);
  }

  const dirs = clusterDirs(dir);
  for (const name of dirs) {
    if (!CLUSTER_DIR_NAME.test(name)) {
      errors.push(`clusters/${name} is not a cluster name (letters, digits, - and _): rename the folder after the cluster.`);
      continue;
    }
    const files = Object.fromEntries(CLUSTER_FILES.map((f) => [f.key, byFile.get(`${clusterPrefix(name)}/${f.file}`)?.value]));
    const missing = CLUSTER_FILES.filter((f) => !files[f.key]?.trim()).map((f) => f.file);
    if (missing.length) {
      errors.push(`clusters/${name} lacks ${missing.join(', ')}: a cluster needs endpoints (its managers' Docker API URLs, tcp://HOST:2376, one a line), ca.pem, cert.pem and key.pem.`);
      continue;
    }
    checkCluster(name, files, now, errors, warnings);
    if (clusters.length && !clusters.includes(name)) warnings.push(`clusters/${name} is not a cluster the policy knows: it will be stored, but no command can reach it.`);
  }
  for (const name of clusters.filter((c) => !dirs.includes(c))) {
    errors.push(`The policy knows cluster ${name}, but there is no clusters/${name}/ (endpoints, ca.pem, cert.pem, key.pem): its commands would fail.`);
  }
  for (const p of parameters.filter((x) => x.value.length > STANDARD_MAX)) {
    warnings.push(`${p.file} is ${p.value.length} characters: over the Standard tier's 4 KB, so it is put in the Advanced tier (charged per parameter and month).`);
  }
  return { errors, warnings, parameters };
}

type Status = 'new' | 'changed' | 'unchanged' | 'unknown';

/** An AWS SDK error in one line: its name and the first line of its message. */
const brief = (err: unknown) => `${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`;

/** What SSM holds now, to say what would change; undefined (with why) when it can't be read. */
async function currentValues(ssm: SSMClient, names: string[]): Promise<{ values?: Map<string, string>; why?: string }> {
  const values = new Map<string, string>();
  try {
    for (let i = 0; i < names.length; i += 10) {
      const out = await ssm.send(new GetParametersCommand({ Names: names.slice(i, i + 10), WithDecryption: true }));
      for (const p of out.Parameters ?? []) if (p.Name && p.Value !== undefined) values.set(p.Name, p.Value);
    }
    return { values };
  } catch (err) {
    return { why: brief(err) };
  }
}

export interface SetupIo {
  write: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  colors?: boolean;
}

const USAGE = 'Usage: npm run setup -- --stage STAGE --from DIR [--apply] [--region REGION] [--kms-key-id KEY]\n';

export async function setup(argv: string[], io: SetupIo): Promise<number> {
  const c = pc.createColors(io.colors ?? pc.isColorSupported);
  const env = io.env ?? process.env;
  let args;
  try {
    args = parseArgs({ args: argv, options: { stage: { type: 'string' }, from: { type: 'string' }, apply: { type: 'boolean' }, region: { type: 'string' }, 'kms-key-id': { type: 'string' } } }).values;
  } catch (err) {
    io.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!args.stage || !args.from || !/^[a-z0-9-]+$/i.test(args.stage)) {
    io.write(USAGE);
    return 2;
  }
  const dir = path.resolve(args.from);
  const prefix = `/swarm-ops/${args.stage}`;
  const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'eu-west-1';

  const check = checkFolder(dir, io.now);
  for (const e of check.errors) io.write(`${c.red('✖')} ${e}\n`);
  for (const w of check.warnings) io.write(`${c.yellow('▲')} ${w}\n`);
  if (check.errors.length) {
    io.write(c.red(`${dir}: ${check.errors.length} problem${check.errors.length === 1 ? '' : 's'} to fix first; nothing was put into SSM.\n`));
    return 1;
  }

  const ssm = new SSMClient({ region });
  try {
    const full = (p: FolderParameter) => `${prefix}/${p.name}`;
    const { values, why } = await currentValues(ssm, check.parameters.map(full));
    const status = (p: FolderParameter): Status => (!values ? 'unknown' : !values.has(full(p)) ? 'new' : values.get(full(p)) === p.value ? 'unchanged' : 'changed');
    const rows = check.parameters.map((p) => ({ p, name: full(p), status: status(p) }));
    const w = Math.max(...rows.map((r) => r.name.length));
    io.write(`${c.bold(`${args.apply ? 'Putting' : 'Would put'} ${rows.length} parameters into SSM (${region}) under ${prefix}:`)}\n`);
    const mark: Record<Status, (s: string) => string> = { new: c.green, changed: c.yellow, unchanged: c.dim, unknown: (s) => s };
    for (const r of rows) io.write(`  ${r.name.padEnd(w)}  ${r.p.type.padEnd(12)}  ${mark[r.status](r.status.padEnd(9))}  ${c.dim(`from ${r.p.file}`)}\n`);
    if (why) io.write(c.yellow(`Could not read what SSM holds now (${why}), so every parameter would be put.\n`));
    if (!args.apply) {
      io.write(`Nothing was put. Run it again with --apply to put ${rows.filter((r) => r.status !== 'unchanged').length} of them.\n`);
      return 0;
    }
    let put = 0;
    for (const r of rows.filter((x) => x.status !== 'unchanged')) {
      const tier: ParameterTier | undefined = r.p.value.length > STANDARD_MAX ? 'Advanced' : undefined;
      try {
        await ssm.send(
          new PutParameterCommand({
            Name: r.name,
            Value: r.p.value,
            Type: r.p.type,
            Overwrite: true,
            ...(tier ? { Tier: tier } : {}),
            ...(r.p.type === 'SecureString' && args['kms-key-id'] ? { KeyId: args['kms-key-id'] } : {}),
          }),
        );
        put++;
      } catch (err) {
        io.write(c.red(`✖ ${r.name}: ${brief(err)}. ${put} of ${rows.length} were put before this; fix it and run setup again (what is in place already shows as unchanged).\n`));
        return 1;
      }
    }
    io.write(c.green(`✔ Put ${put} parameter${put === 1 ? '' : 's'}${rows.length > put ? ` (${rows.length - put} unchanged)` : ''}.`) + ` The functions read them within a minute (not deployed yet? npx serverless deploy --stage ${args.stage}); then type /swarm status in the ops channel.\n`);
    return 0;
  } finally {
    ssm.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await setup(process.argv.slice(2), { write: (t) => process.stdout.write(t) });
}
