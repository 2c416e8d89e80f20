/** Joining a daemon to the swarm, and waiting until the swarm sees it Ready. */
import { isIP } from 'node:net';
import { SwarmError } from '../../errors.js';
import type { JoinRequest, NodesRead, SwarmNode } from '../../ports.js';
import { CERT_PIN_MISMATCH, dockerMessage, mayHaveArrived, statusOf } from './docker-errors.js';
import { toDaemonInfo, type DockerInfo, type DockerSwarmSpec } from './docker-json.js';
import type { DockerTransport, Session } from './docker-transport.js';
import { done, notDone, settleWrite } from './uncertain-write.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A join that outlives its deadline answers 503 and goes on in the
 * background, and one whose answer we lost after sending it may be going on
 * too: neither is a refusal.
 */
const stillJoining = (err: unknown) =>
  statusOf(err) === undefined ? mayHaveArrived(err) : statusOf(err) === 503 && /timeout|timed out|deadline/i.test(dockerMessage(err));

function joinRefused(t: DockerTransport, url: string, err: unknown): SwarmError {
  const msg = dockerMessage(err);
  if ((err as { code?: string })?.code === CERT_PIN_MISMATCH) {
    return new SwarmError(
      'CONFLICT',
      `The daemon at ${url} presented another TLS certificate than the one checked before the join, so the token was not sent and nothing was changed. Run the command again to look at it anew.`,
      { cause: err },
    );
  }
  if (/already part of a swarm/i.test(msg)) return new SwarmError('ALREADY_IN_SWARM', `${url} is already part of a swarm. Run \`docker swarm leave\` on it first.`);
  if (statusOf(err) !== undefined) return new SwarmError('CONFLICT', `Docker refused the join of ${url}: ${msg}`);
  return t.daemonError(url, err);
}

/** The join token never leaves this function: it goes from a manager's answer into the join's body. */
async function joinToken(t: DockerTransport, req: JoinRequest): Promise<string> {
  const swarm = await t.call((s) => s.get<DockerSwarmSpec>('/swarm'));
  const token = req.role === 'manager' ? swarm.JoinTokens?.Manager : swarm.JoinTokens?.Worker;
  if (!token) throw new SwarmError('NOT_A_MANAGER', 'The manager did not return a join token.');
  return token;
}

export async function joinNode(t: DockerTransport, nodes: NodesRead, req: JoinRequest): Promise<SwarmNode> {
  const target = await nodes.inspectDaemon(req.url);
  if (target.localState !== 'inactive') {
    throw new SwarmError(
      'ALREADY_IN_SWARM',
      `\`${target.name}\` (${req.url}) is already part of a swarm (state: ${target.localState}). ` +
        'Run `docker swarm leave` on it first if it should join this one.',
    );
  }
  // the daemon the approver saw, or no token: a different daemon at the same address gets nothing
  if (req.expect && (target.engineId !== req.expect.engineId || (req.expect.certFingerprint && target.apiCertFingerprint !== req.expect.certFingerprint))) {
    throw new SwarmError(
      'CONFLICT',
      `The daemon at ${req.url} is not the one that was approved (its engine ID or TLS certificate changed). No token was read; nothing was changed. Run the command again to ask anew.`,
    );
  }
  const managers = (await nodes.list()).filter((n) => n.manager?.reachability === 'reachable' && n.manager.addr);
  const token = await joinToken(t, req);
  // POST /swarm/join answers only when the join is done (up to ~20 s): its socket must be allowed to stay silent.
  // Its TLS handshake is pinned to the certificate approved (or, for a worker, just inspected): the token
  // goes to that daemon or nowhere, even if another one took the address since.
  const pin = req.expect?.certFingerprint ?? target.apiCertFingerprint;
  const daemon = await t.daemon(req.url, 60_000, pin);
  const advertiseAddr = req.advertiseAddr ?? (isIP(daemon.ep.host) ? daemon.ep.host : undefined);
  const dataPathAddr = req.dataPathAddr ?? advertiseAddr;
  const body = {
    ListenAddr: '0.0.0.0:2377',
    ...(advertiseAddr ? { AdvertiseAddr: advertiseAddr } : {}),
    ...(dataPathAddr ? { DataPathAddr: dataPathAddr } : {}),
    RemoteAddrs: managers.map((m) => m.manager!.addr),
    JoinToken: token,
  };
  await settleWrite<void>({
    write: () =>
      daemon
        .session(AbortSignal.timeout(45_000))
        .post<unknown>('/swarm/join', body)
        .then(
          () => undefined,
          (err) => {
            if (!stillJoining(err)) throw err;
            throw new SwarmError('UNCERTAIN', `${req.url} did not confirm the join in time; it may still be joining: check \`/swarm nodes\`.`, { cause: err });
          },
        ),
    // a daemon that left "inactive" has the join under way (or failed it: waitUntilReady says which)
    readBack: async () => ((await nodes.inspectDaemon(req.url)).localState === 'inactive' ? notDone : done(undefined)),
    onRefused: (err) => joinRefused(t, req.url, err),
  });
  return waitUntilReady(t, nodes, daemon.session, req);
}

/** The node's id once its daemon says it is in the swarm; a join that failed is an error. */
async function joinedNodeId(session: Session, url: string): Promise<string> {
  const info = toDaemonInfo(url, await session.get<DockerInfo>('/info').catch((): DockerInfo => ({})));
  if (info.localState === 'error') throw new SwarmError('CONFLICT', `The join of ${url} failed: ${info.error}`);
  return info.localState === 'active' ? info.nodeId : '';
}

async function waitUntilReady(t: DockerTransport, nodes: NodesRead, session: (signal: AbortSignal) => Session, req: JoinRequest): Promise<SwarmNode> {
  const limitMs = req.readyTimeoutMs ?? 45_000;
  const deadline = Date.now() + limitMs;
  let nodeId = '';
  while (Date.now() < deadline) {
    if (!nodeId) nodeId = await joinedNodeId(session(AbortSignal.timeout(t.callTimeoutMs)), req.url);
    if (nodeId) {
      const node = (await nodes.list().catch((): SwarmNode[] => [])).find((n) => n.id === nodeId);
      if (node?.state === 'ready' && (req.role === 'worker' || node.manager?.reachability === 'reachable')) return node;
    }
    await sleep(500);
  }
  throw new SwarmError('CONFLICT', `${req.url} joined but did not show up Ready within ${Math.round(limitMs / 1000)} s; check \`/swarm nodes\`.`);
}
