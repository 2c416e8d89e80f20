import { z } from 'zod';
import { defineCommand, flag, optionalPositional, positional, restPositional, toggle, type ArgsOf, type Command } from './spec.js';
import { cidr, dockerApiUrl, dockerName, ipAddress, nodeRef } from './validators.js';
import { duration, imageRef, labelChanges, managerRef, nodeFilter, oneOf, scaleTargets, serviceRef, slackUser } from './arguments.js';

/**
 * The one list of commands. The ingress (parse, authorize, acknowledge), the
 * worker and the local runner (run) read it; `help`, usage lines and "did you
 * mean" are built from it. The action table (src/actions/index.ts) is typed
 * from these declarations and kept out of the ingress bundle.
 */

const joinArgs = {
  url: positional(dockerApiUrl, 'docker-api-url', 'the new node\'s Docker API over TLS, e.g. tcp://10.0.1.25:2376'),
  'advertise-addr': flag(ipAddress, 'IP', 'the address other nodes reach it at (default: the URL\'s host)'),
  'data-path-addr': flag(ipAddress, 'IP', 'the address for overlay traffic (default: the advertise address)'),
};
const nodeArgs = { node: positional(nodeRef, 'node', 'a hostname or a unique node ID prefix (4+ characters)') };

export const COMMANDS = [
  defineCommand({
    name: 'help',
    summary: 'list the commands, or explain one',
    args: { topic: optionalPositional(z.string().max(40).transform((t) => t.toLowerCase()), 'command', { rest: true }) },
    role: 'viewer',
    kind: 'read',
    offline: true,
  }),
  defineCommand({
    name: 'status',
    summary: 'health verdict, Raft quorum, managers, node counts, warnings',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'nodes',
    summary: 'every node: hostname, role, status, availability, reachability, engine',
    args: {
      filter: flag(nodeFilter, 'down|manager|worker|drain|KEY=VALUE', 'only these nodes; KEY=VALUE matches a node label'),
      page: flag(z.coerce.number({ invalid_type_error: 'type a page number' }).int().min(1, 'pages start at 1').max(10_000), 'N', 'the next page of a long list'),
    },
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'join worker',
    summary: 'join a new node as a worker (the bot joins it; no token is shown)',
    args: joinArgs,
    role: 'operator',
    kind: 'change',
    details: 'The node must run a Docker daemon reachable over TLS with the same CA as the managers, e.g. tcp://10.0.1.25:2376.',
  }),
  defineCommand({
    name: 'join manager',
    summary: 'join a new node as a manager (needs approval)',
    args: joinArgs,
    role: 'operator',
    kind: 'approval',
    details: 'The approval is bound to the node the approver saw (its engine ID and TLS certificate); a different daemon at that address is refused.',
  }),
  defineCommand({
    name: 'rotate',
    summary: 'rotate join tokens (worker, manager or both)',
    args: { which: positional(oneOf(['worker', 'manager', 'both'] as const, 'say which tokens'), 'worker|manager|both') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay ls',
    summary: 'list swarm-scoped networks',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'overlay create',
    summary: 'create an overlay network (attachable unless --no-attachable)',
    args: {
      name: positional(dockerName, 'name'),
      encrypted: toggle('IPsec between hosts (not on Windows nodes)'),
      'no-attachable': toggle('standalone containers may not join it'),
      subnet: flag(cidr, 'CIDR', 'e.g. 10.20.0.0/24; must overlap no existing network'),
      gateway: flag(ipAddress, 'IP', 'inside --subnet'),
    },
    check: (a) => (a.gateway && !a.subnet ? { arg: 'gateway', message: '--gateway needs --subnet too, e.g. --subnet 10.20.0.0/24 --gateway 10.20.0.1' } : undefined),
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay rm',
    summary: 'remove an overlay network nobody uses',
    args: { name: positional(dockerName, 'name') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'overlay check',
    summary: 'prove every node can reach every other on the overlay',
    args: { name: positional(dockerName, 'name') },
    // it runs containers on every node: an operator's call, audited like a change
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'promote',
    summary: 'make a worker a manager (needs approval)',
    args: nodeArgs,
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'demote',
    summary: 'make a manager a worker (needs approval)',
    args: nodeArgs,
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'drain',
    summary: 'move tasks off a node (availability drain), saying what happens to each service',
    args: { ...nodeArgs, force: toggle('drain even though a service has no other node it may run on') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'activate',
    summary: 'let a node take tasks again (availability active)',
    args: nodeArgs,
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'label',
    summary: 'set or remove node labels, e.g. az=eu-west-1a (placement, and the AZ check)',
    args: { ...nodeArgs, changes: restPositional(labelChanges, 'KEY=VALUE… | KEY-…', 'labels to set (KEY=VALUE) and to remove (KEY-), several at once') },
    role: 'operator',
    kind: 'change',
    details: 'Node labels only (`docker node update --label-add`), not engine labels. `/swarm nodes --filter az=eu-west-1a` lists the nodes that carry one.',
  }),
  defineCommand({
    name: 'node rm',
    summary: 'remove a node: a down worker at once; a manager, or --force, needs approval',
    args: { ...nodeArgs, force: toggle('remove a node that is not down (after an approval)') },
    role: 'operator',
    kind: 'change',
    details: 'A manager is demoted first and removed in the same approved request: a dead manager still counts in N until then.',
  }),
  defineCommand({
    name: 'ca',
    summary: 'root CA fingerprint and expiry, node certificate period, nodes not yet rotated',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'ca rotate',
    summary: 'rotate the swarm\'s root CA; the message shows progress (needs approval)',
    args: {},
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'autolock',
    summary: 'lock managers\' Raft keys at rest; the key goes to SSM, never to chat (needs approval)',
    args: { mode: positional(oneOf(['on', 'off', 'rotate'] as const, 'say what to do'), 'on|off|rotate') },
    role: 'operator',
    kind: 'approval',
  }),
  defineCommand({
    name: 'unlock',
    summary: 'unlock a restarted manager with the key kept in SSM',
    args: { target: positional(managerRef, 'docker-api-url|node', 'a manager\'s hostname or its Docker API URL') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'recover',
    summary: 'quorum lost only: force a new cluster on a surviving manager (needs approval)',
    args: { from: flag(managerRef, 'MANAGER', 'the surviving manager (hostname or its Docker API URL)') },
    check: (a) => (a.from === undefined ? { arg: 'from', message: 'say which manager survives, e.g. --from lab-n1' } : undefined),
    role: 'operator',
    kind: 'approval',
    details: 'For a swarm whose lost managers will not come back; restarting them is always better. The old managers re-join with `/swarm join manager`.',
  }),
  defineCommand({
    name: 'audit',
    summary: 'the latest audited events: who changed what, when',
    args: {
      user: flag(slackUser, '@U', 'only this person\'s requests and decisions'),
      since: flag(duration, '24h|7d', 'how far back (default 24h, at most 90d)'),
      limit: flag(z.coerce.number({ invalid_type_error: 'type a number' }).int().min(1, 'at least 1').max(100, 'at most 100'), 'N', 'how many (default 20)'),
    },
    check: (a) => (a.since !== undefined && a.since > 90 * 86_400_000 ? { arg: 'since', message: 'at most 90d' } : undefined),
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'watch',
    summary: 'the watch\'s open incidents and mutes',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'watch mute',
    summary: 'stop posting a node\'s, a service\'s or a kind\'s incidents for a while (still tracked)',
    args: {
      target: positional(nodeRef, 'node|service|kind', 'a hostname, a node ID prefix, a service name, or a kind such as node-down or service-changed'),
      duration: positional(duration, '30m|2h|1d', 'how long, at most 30d'),
    },
    check: (a) => (a.duration > 30 * 86_400_000 ? { arg: 'duration', message: 'at most 30d' } : undefined),
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'watch unmute',
    summary: 'post a muted node\'s, service\'s or kind\'s incidents again',
    args: { target: positional(nodeRef, 'node|service|kind') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'services',
    summary: 'every service: replicas, image, update state, ports, stack (unhealthy first)',
    args: {
      stack: flag(serviceRef, 'S', 'only the services of this stack'),
      filter: flag(oneOf(['unhealthy', 'updating'] as const, 'filter by unhealthy or updating'), 'unhealthy|updating', 'only services below desired or failing, or with a rollout under way'),
      page: flag(z.coerce.number({ invalid_type_error: 'type a page number' }).int().min(1, 'pages start at 1').max(10_000), 'N', 'the next page of a long list'),
    },
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'service',
    summary: 'one service: image, replicas, update state, placement, its tasks by node and why they fail',
    args: { service: positional(serviceRef, 'name|id') },
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'service logs',
    summary: 'a service\'s log lines from every task, in time order (audited)',
    args: {
      service: positional(serviceRef, 'name'),
      since: flag(duration, '10m|1h|1d', 'how far back (default 10m, at most 7d)'),
      tail: flag(z.coerce.number({ invalid_type_error: 'type a number of lines' }).int().min(1, 'at least 1 line').max(2000, 'at most 2000 lines'), 'N', 'the last N lines (default 100, at most 2000)'),
      grep: flag(z.string().min(1).max(200, 'at most 200 characters'), 'TEXT', 'only lines containing this text (plain, case-sensitive)'),
      node: flag(nodeRef, 'NODE', 'only the tasks on this node'),
    },
    check: (a) => (a.since !== undefined && a.since > 7 * 86_400_000 ? { arg: 'since', message: 'at most 7d' } : undefined),
    role: 'operator',
    kind: 'read',
    audited: true,
  }),
  defineCommand({
    name: 'service scale',
    summary: 'set the replicas of replicated services, followed until they converge',
    args: { targets: restPositional(scaleTargets, 'name=N…', 'e.g. web=6 api=3') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'service restart',
    summary: 'restart every task, honouring the service\'s update config (watched rollout)',
    args: { service: positional(serviceRef, 'name') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'service update',
    summary: 'roll out a new image (watched rollout, with Roll back on failure)',
    args: { service: positional(serviceRef, 'name'), image: flag(imageRef, 'IMAGE[:TAG|@DIGEST]', 'the image to run, e.g. registry.example.com/shop/api:1.4.2') },
    check: (a) => (a.image === undefined ? { arg: 'image', message: 'say which image, e.g. --image registry.example.com/shop/api:1.4.2' } : undefined),
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'service rollback',
    summary: 'go back to the service\'s previous spec (watched rollout)',
    args: { service: positional(serviceRef, 'name') },
    role: 'operator',
    kind: 'change',
  }),
  defineCommand({
    name: 'stacks',
    summary: 'the stacks (services labelled com.docker.stack.namespace) and their health',
    args: {},
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'stack',
    summary: 'one stack\'s services (as services --stack S)',
    args: { stack: positional(serviceRef, 'name') },
    role: 'viewer',
    kind: 'read',
  }),
  defineCommand({
    name: 'stack rollback',
    summary: 'roll every service of a stack back to its previous spec (needs approval)',
    args: { stack: positional(serviceRef, 'name') },
    role: 'operator',
    kind: 'approval',
  }),
] as const;

export type CommandName = (typeof COMMANDS)[number]['name'];
type CommandOf<N extends CommandName> = Extract<(typeof COMMANDS)[number], { name: N }>;
/** The parsed arguments of command N, as its action receives them. */
export type ArgsFor<N extends CommandName> = CommandOf<N> extends Command<infer A> ? ArgsOf<A> : never;
/** Commands by kind, for typing the action table. */
export type NamesOfKind<K extends Command['kind']> = Extract<(typeof COMMANDS)[number], { kind: K }>['name'];

function indexByName(specs: readonly Command[]): Map<string, Command> {
  const byName = new Map<string, Command>();
  for (const spec of specs) {
    if (byName.has(spec.name)) throw new Error(`Command "${spec.name}" is registered twice`);
    byName.set(spec.name, spec);
  }
  return byName;
}

export const REGISTRY: ReadonlyMap<string, Command> = indexByName(COMMANDS as unknown as Command[]);

export function getSpec(name: string): Command {
  const spec = REGISTRY.get(name);
  if (!spec) throw new Error(`No command "${name}"`);
  return spec;
}

export type { Command as CommandSpec };
