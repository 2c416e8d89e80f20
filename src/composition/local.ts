/**
 * The local runner's wiring: the same parser, registry and actions as the
 * worker, against a swarm whose credentials come from files (by default the
 * swarm lab's), rendered as plain text. No AWS or Slack account involved.
 */
import { readFileSync } from 'node:fs';
import { DockerSwarm } from '../adapters/docker-swarm.js';
import { ACTIONS } from '../actions/index.js';
import { parseCommand } from '../commands/parse.js';
import { parsePolicy, requireRole } from '../config/policy.js';
import { errorReply, reply, type Reply } from '../domain/reply.js';
import { isUserFacing, redactSecrets, UnknownClusterError } from '../errors.js';
import type { ClusterCredentials } from '../ports.js';
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
  requestId = `local-${Date.now().toString(36)}`,
): Promise<{ output: string; ok: boolean }> {
  let result: Reply;
  try {
    const parsed = parseCommand(text);
    requireRole(DEFAULT_POLICY, LOCAL_USER, parsed.spec.role, `run \`/swarm ${parsed.name}\``);
    if (parsed.args.cluster && parsed.args.cluster !== 'lab') {
      throw new UnknownClusterError(`The local runner knows one cluster, \`lab\`; leave --cluster out (or type \`--cluster lab\`).`);
    }
    const action = ACTIONS[parsed.name as keyof typeof ACTIONS]!;
    result = await action(
      {
        swarm: new DockerSwarm(creds),
        policy: DEFAULT_POLICY,
        cluster: 'lab',
        user: LOCAL_USER,
        requestId,
        attempt: requestId,
        dryRun: Boolean(parsed.args['dry-run']),
        clock: { now: () => new Date() },
      },
      parsed.args,
    );
    if (result.approvalRequest) {
      result = reply(result.title, result.tone, [
        ...result.parts,
        { kind: 'context', text: 'In Slack this request now waits for a second person to click Approve. The local runner stops here; nothing was changed.' },
      ]);
    }
  } catch (err) {
    result = isUserFacing(err) ? errorReply(err.message) : errorReply(`Unexpected error: ${redactSecrets(String(err))}`);
  }
  return { output: renderPlainText(result), ok: result.tone !== 'error' };
}
