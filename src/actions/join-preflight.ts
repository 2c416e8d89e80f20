import type { ReplyPart } from '../domain/reply.js';
import { SwarmError } from '../errors.js';
import { code } from '../render/escape.js';
import type { DaemonInfo, DaemonOps, NodesRead, NetworksRead, SwarmNode } from '../ports.js';

/** TLS, Raft and certificate renewal need clocks that agree (the operating guide's prerequisite). */
const MAX_CLOCK_SKEW_MS = 10_000;
const PORT_CHECK_MS = 20_000;
const FIREWALL_ADVICE = 'Open TCP 2377 (cluster management) and TCP+UDP 7946 (node communication) to every manager, and UDP 4789 (overlay data) between all nodes.';

const major = (v: string) => /^(\d+)/.exec(v)?.[1] ?? v;

export interface PreflightInput {
  url: string;
  target: DaemonInfo;
  members: SwarmNode[];
  probeImage: string;
  nodes: NodesRead;
  networks: NetworksRead;
  daemons: Pick<DaemonOps, 'hasImage' | 'runOnce'>;
  /** a dry run starts nothing on the target: the port checks (a container there) are left out */
  dryRun?: boolean;
}

/**
 * The operating guide's prerequisites, checked through the target's own API
 * before any token is read: a failure refuses the join (nothing read, nothing
 * changed) and names what to fix; a risk is a warning in the reply.
 */
export async function preflight(p: PreflightInput): Promise<ReplyPart[]> {
  const { target, members } = p;
  const clash = members.find((n) => n.hostname.toLowerCase() === target.name.toLowerCase());
  if (clash) {
    throw new SwarmError(
      'CONFLICT',
      `A node named ${code(clash.hostname)} is already in the swarm (${clash.id.slice(0, 12)}, ${clash.state}). Remove it first (\`/swarm node rm ${clash.hostname}\`) or give the new machine another hostname. No token was read; nothing was changed.`,
    );
  }
  const warnings: string[] = [];
  const managerInfo = await p.nodes.info().catch(() => undefined);
  if (managerInfo?.systemTime && target.systemTime) {
    const skew = Math.abs(managerInfo.systemTime.getTime() - target.systemTime.getTime());
    if (skew > MAX_CLOCK_SKEW_MS) {
      throw new SwarmError(
        'VALIDATION',
        `${code(target.name)}'s clock is ${Math.round(skew / 1000)} s off the manager's (limit ${MAX_CLOCK_SKEW_MS / 1000} s): TLS and Raft need clocks that agree. Fix NTP on it, then try again. No token was read; nothing was changed.`,
      );
    }
  }
  const versions = [...new Set(members.filter((n) => n.role === 'manager').map((n) => n.engineVersion))];
  if (target.engineVersion && versions.length && !versions.some((v) => major(v) === major(target.engineVersion))) {
    warnings.push(`Engine version skew: ${code(target.name)} runs ${code(target.engineVersion)}, the managers ${versions.map(code).join(', ')}. Mixed major versions are for upgrades only.`);
  }
  if (target.os.toLowerCase() === 'windows') {
    const encrypted = (await p.networks.list()).filter((n) => n.encrypted);
    if (encrypted.length) warnings.push(`${code(target.name)} runs Windows: encrypted overlays (${encrypted.map((n) => code(n.name)).join(', ')}) are not supported there.`);
  }
  const ports = await portChecks(p);
  return [
    { kind: 'text', text: `Preflight of ${code(target.name)}: TLS with the cluster's CA, in no swarm, hostname free, clock within ${MAX_CLOCK_SKEW_MS / 1000} s${ports.checked ? `, TCP 2377 and 7946 open to ${ports.checked} manager${ports.checked === 1 ? '' : 's'}` : ''}.` },
    ...(warnings.length || ports.warning ? [{ kind: 'list' as const, title: 'Warnings', tone: 'warn' as const, items: [...warnings, ...(ports.warning ? [ports.warning] : [])] }] : []),
  ];
}

/** From the target itself: a short-lived container on its host network opens TCP to every manager's 2377 and 7946. */
async function portChecks(p: PreflightInput): Promise<{ checked: number; warning?: string }> {
  // a manager that is down or locked listens on nothing: its ports say nothing about the target's firewall
  const managers = p.members.filter((n) => n.role === 'manager' && n.manager?.addr && n.manager.reachability === 'reachable');
  const hosts = [...new Set(managers.map((m) => m.manager!.addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')))].filter((h) => /^[0-9a-fA-F.:]+$/.test(h));
  if (!hosts.length) return { checked: 0 };
  if (p.dryRun) {
    return { checked: 0, warning: `Its TCP ports to the managers were not checked in a dry run (that takes a short-lived container on ${code(p.target.name)}); the join checks them first. ${FIREWALL_ADVICE}` };
  }
  if (!(await p.daemons.hasImage(p.url, p.probeImage).catch(() => false))) {
    return { checked: 0, warning: `The probe image ${code(p.probeImage)} is not on ${code(p.target.name)}, so its ports to the managers were not checked. ${FIREWALL_ADVICE}` };
  }
  const targets = hosts.flatMap((h) => [`${h} 2377`, `${h} 7946`]);
  const script = targets.map((t) => `if nc -w 3 ${t} </dev/null >/dev/null 2>&1; then echo "PORT ${t} ok"; else echo "PORT ${t} fail"; fi`).join('\n');
  const { output } = await p.daemons.runOnce(p.url, { image: p.probeImage, cmd: ['sh', '-c', script], timeoutMs: PORT_CHECK_MS });
  const failed = targets.filter((t) => !new RegExp(`PORT ${t.replace(/\./g, '\\.')} ok`).test(output));
  if (failed.length) {
    const byName = (host: string) => managers.find((m) => m.manager!.addr.startsWith(host))?.hostname ?? host;
    const items = failed.map((t) => {
      const [host, port] = t.split(' ');
      return `TCP ${port} to ${code(byName(host!))} (${host})`;
    });
    throw new SwarmError('VALIDATION', `${code(p.target.name)} can't reach ${items.join(', ')}. ${FIREWALL_ADVICE} No token was read; nothing was changed.`);
  }
  return { checked: hosts.length };
}
