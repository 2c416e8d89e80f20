/**
 * The local runner's wiring: the same registry, parser and `runCommand` as
 * the worker, against a swarm whose credentials come from files (by default
 * the swarm lab's), rendered as plain text. No AWS or Slack account involved.
 */
import { readFileSync } from 'node:fs';
import { writeAttachment } from '../adapters/local/attachment-files.js';
import { DockerSwarm } from '../adapters/docker/docker-swarm.js';
import { createStateClient, DynamoState } from '../adapters/aws/dynamo-state.js';
import { DynamoWatchStore } from '../adapters/aws/dynamo-watch.js';
import { FileUnlockKeys } from '../adapters/local/file-unlock-keys.js';
import { startLocalDynamo } from '../adapters/local/local-dynamo.js';
import { tryParseCommand } from '../commands/parse.js';
import { runWatchOnce } from './watch-root.js';
import { runCommand } from '../app/run-command.js';
import { parsePolicy } from '../config/policy.js';
import { errorReply, refusalReply, reply, type Reply } from '../domain/reply.js';
import { isRefusal, isUserFacing, redactSecrets, UnknownClusterError } from '../errors.js';
import type { AuditHistory, Claims, ClusterCredentials, UnlockKeyStore } from '../ports.js';
import { renderPlainText } from '../render/plain-text.js';

export const LOCAL_USER = 'ULOCAL';

/** The embedded default policy: you, alone, may look and change; approvals still need someone else. */
export const DEFAULT_POLICY = parsePolicy(
  JSON.stringify({
    defaultCluster: 'lab',
    auditChannel: 'CLOCALAUDIT',
    roles: { viewer: [LOCAL_USER], operator: [LOCAL_USER], approver: [] },
    probeImage: 'swarm-ops/probe:latest',
    clusters: { lab: { rotate: ['worker'] } },
  }),
);

export interface LabDescription {
  nodes: Array<{ url: string; role: string }>;
  tls: { ca: string; cert: string; key: string };
}

export function labCredentials(lab: LabDescription): ClusterCredentials {
  return {
    endpoints: lab.nodes.filter((n) => n.role === 'manager').map((n) => n.url),
    ca: readFileSync(lab.tls.ca, 'utf8'),
    cert: readFileSync(lab.tls.cert, 'utf8'),
    key: readFileSync(lab.tls.key, 'utf8'),
  };
}

export async function runLocal(
  text: string,
  creds: ClusterCredentials,
  history: AuditHistory,
  claims: Claims,
  unlockKeys: UnlockKeyStore,
  requestId = `local-${Date.now().toString(36)}`,
): Promise<{ output: string; ok: boolean }> {
  let result: Reply;
  // a refusal is shown as a warning, and is still no answer: exit code 1
  let refused = false;
  try {
    const swarm = new DockerSwarm(creds);
    const out = await runCommand(
      {
        swarmFor: async (cluster) => {
          if (cluster !== 'lab') throw new UnknownClusterError('The local runner knows one cluster, `lab`; leave --cluster out (or type `--cluster lab`).');
          return swarm;
        },
        history,
        claims,
        unlockKeys,
        clock: { now: () => new Date() },
      },
      DEFAULT_POLICY,
      { text, user: LOCAL_USER, requestId },
    );
    result =
      out.kind === 'answer'
        ? out.reply
        : reply(out.request.title, out.request.tone, [
            ...out.request.parts,
            { kind: 'context', text: 'In Slack this request now waits for a second person to click Approve. This one-shot runner stops here; nothing was changed. To see it through locally, type the command in the conversation (`npm start` with no command), then `:as approver` and Approve.' },
          ]);
  } catch (err) {
    refused = true;
    result = isUserFacing(err) ? (isRefusal(err) ? refusalReply : errorReply)(err.message) : errorReply(`Unexpected error: ${redactSecrets(String(err))}`);
  }
  // a picture that goes with the answer (an overlay check's heatmap on a big swarm) is written to a file
  const files = (result.attachments ?? []).map((f) => `${f.title}: written to ${writeAttachment(f)}\n`);
  return { output: renderPlainText(result) + files.join(''), ok: !refused && result.tone !== 'error' };
}

/**
 * `npm start -- <command>`: one command (or `--watch-once`, one pass of the
 * watch) against the swarm `credentials` names, on an embedded state table.
 * A command the registry marks `offline` (help) needs no swarm at all.
 */
export async function runOneShot(text: string, o: { credentials: () => ClusterCredentials; unlockKeysDir: string }): Promise<{ output: string; ok: boolean }> {
  // the bot's table, embedded: dynalite in this process, the real AWS SDK pointed at it
  const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-local-state' });
  try {
    const doc = createStateClient(dynamo.clientConfig);
    const history = new DynamoState(doc, dynamo.tableName);
    if (text.trim() === '--watch-once') return await runWatchOnce(o.credentials(), { incidents: new DynamoWatchStore(doc, dynamo.tableName), claims: history });
    const offline = tryParseCommand(text)?.spec.offline === true;
    const creds = offline ? { endpoints: ['tcp://127.0.0.1:1'], ca: '', cert: '', key: '' } : o.credentials();
    return await runLocal(text, creds, history, history, new FileUnlockKeys(o.unlockKeysDir));
  } finally {
    await dynamo.close();
  }
}
