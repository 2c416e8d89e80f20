import { didYouMean } from '../commands/parse.js';
import { formatNetwork, hasHostBits, isHostAddress } from '../commands/validators.js';
import { cidrContains, cidrsOverlap, parseCidr } from '../domain/ip-address.js';
import { UserFacingError, ValidationError } from '../errors.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import type { SwarmNetwork, SwarmReader } from '../ports.js';
import type { ArgsFor } from '../commands/registry.js';
import { code } from '../render/escape.js';
import { naturalCompare } from '../domain/natural-sort.js';
import type { ChangeAction, ReadAction } from './types.js';

/** Docker's own networks: never created or removed by name. */
const PREDEFINED = new Set(['bridge', 'host', 'none', 'ingress', 'docker_gwbridge']);

/** Swarm-scoped networks (overlays; also one whose allocation failed and so shows no driver). */
export const isSwarmOverlay = (n: SwarmNetwork) => n.scope === 'swarm' && (n.driver === 'overlay' || n.driver === '');

/** Docker's short ID: a shorter prefix could pick a network nobody meant. */
const MIN_ID_PREFIX = 12;

/** An overlay by exact name, or by a unique ID prefix of at least 12 characters. */
export async function findOverlay(swarm: SwarmReader, ref: string): Promise<SwarmNetwork> {
  const overlays = (await swarm.networks.list()).filter(isSwarmOverlay);
  const exact = overlays.find((n) => n.name === ref) ?? overlays.find((n) => n.id === ref);
  if (exact) return exact;
  const byId = ref.length >= MIN_ID_PREFIX ? overlays.filter((n) => n.id.startsWith(ref)) : [];
  if (byId.length === 1) return byId[0]!;
  const hint = didYouMean(ref, overlays.map((n) => n.name));
  throw new UserFacingError(
    'NOT_FOUND',
    `No overlay network \`${ref}\`.${hint ? ` Did you mean \`${hint}\`?` : ''} Type \`/swarm overlay ls\` to list them.`,
  );
}

export const overlayLs: ReadAction<ArgsFor<'overlay ls'>> = { run: async (ctx) => {
  // without a leader a manager lists only what it holds locally; say so rather than show a short list
  await ctx.swarm.nodes.list();
  const overlays = (await ctx.swarm.networks.list()).filter(isSwarmOverlay).sort((a, b) => naturalCompare(a.name, b.name));
  const usage = await Promise.all(overlays.map((n) => ctx.swarm.networks.usage(n.id).catch(() => undefined)));
  return reply(`Overlay networks of ${ctx.cluster} (${overlays.length})`, 'info', [
    {
      kind: 'table',
      noun: 'networks',
      columns: ['NAME', 'DRIVER', 'ENCRYPTED', 'ATTACHABLE', 'SUBNETS', 'SERVICES', 'CONTAINERS'],
      rows: overlays.map((n, i) => [
        n.name + (n.ingress && n.name !== 'ingress' ? ' (ingress)' : ''),
        n.driver,
        n.encrypted ? 'yes' : 'no',
        n.attachable ? 'yes' : 'no',
        n.subnets.map((s) => s.subnet).join(', ') || '-',
        usage[i] ? String(usage[i]!.services.length) : '?',
        usage[i] ? String(usage[i]!.containers) : '?',
      ]),
    },
  ]);
} };


interface CreatePlan {
  attachable: boolean;
  encrypted: boolean;
  warnings: ReplyPart[];
}

export const overlayCreate: ChangeAction<ArgsFor<'overlay create'>, CreatePlan> = {
  async plan(ctx, args) {
  if (PREDEFINED.has(args.name)) throw new ValidationError(`\`${args.name}\` is one of Docker's own networks. Pick another name, e.g. \`${args.name}-net\`.`);
  const subnet = args.subnet ? parseCidr(args.subnet) : undefined;
  if (subnet && hasHostBits(subnet)) {
    throw new ValidationError(`${args.subnet} has host bits set. Type the network address: \`--subnet ${formatNetwork(subnet)}\`.`);
  }
  if (subnet && args.gateway && !cidrContains(subnet, args.gateway)) {
    throw new ValidationError(`Gateway ${args.gateway} is outside subnet ${args.subnet}. Type a gateway inside it, e.g. the first address of the subnet.`);
  }
  if (subnet && args.gateway && !isHostAddress(subnet, args.gateway)) {
    throw new ValidationError(`Gateway ${args.gateway} is the network or broadcast address of ${args.subnet}. Type a host address, e.g. the first one after the network address.`);
  }
  // an answer only a manager with a leader can give: without one, the list would be this node's local view
  await ctx.swarm.nodes.list();
  const networks = await ctx.swarm.networks.list();
  // swarm compares names without regard to case
  const clash = networks.find((n) => n.name.toLowerCase() === args.name.toLowerCase());
  if (clash) throw new UserFacingError('CONFLICT', `A network named ${code(clash.name)} already exists (${clash.driver}, ${clash.scope}). Pick another name; nothing was created.`);
  if (subnet) {
    for (const n of networks) {
      const overlap = n.subnets.find((s) => {
        const other = parseCidr(s.subnet);
        return other && cidrsOverlap(subnet, other);
      });
      if (overlap) {
        throw new UserFacingError(
          'CONFLICT',
          `Subnet ${args.subnet} overlaps ${overlap.subnet} of network \`${n.name}\`. Pick a subnet that overlaps no existing network; nothing was created.`,
        );
      }
    }
  }
  const attachable = !args['no-attachable'];
  const encrypted = Boolean(args.encrypted);
  const parts: ReplyPart[] = [];
  if (encrypted) {
    const windows = (await ctx.swarm.nodes.list()).filter((n) => n.os.toLowerCase() === 'windows');
    if (windows.length) {
      parts.push({
        kind: 'list',
        title: 'Warning',
        tone: 'warn',
        items: [`Encrypted overlays are not supported on Windows; tasks on ${windows.map((n) => `\`${n.hostname}\``).join(', ')} can't use this network.`],
      });
    }
    if (ctx.policy.clusters[ctx.cluster]?.ipsec === false) parts.push(noIpsec(ctx.cluster));
  }
  const description = [
    `Overlay driver, swarm scope`,
    attachable ? 'attachable' : 'not attachable',
    encrypted ? 'encrypted (IPsec between hosts)' : 'not encrypted',
    args.subnet ? `subnet ${args.subnet}${args.gateway ? `, gateway ${args.gateway}` : ''}` : 'subnet chosen by Docker',
  ].join('; ') + '.';
  return { summary: `create overlay ${code(args.name)} in ${code(ctx.cluster)}`, details: [{ kind: 'text', text: description }, ...parts], data: { attachable, encrypted, warnings: parts } };
  },

  async apply(ctx, args, plan) {
  const { attachable, encrypted, warnings: parts } = plan.data;
  const net = await ctx.swarm.networks.createOverlay({
    name: args.name,
    attachable,
    encrypted,
    ...(args.subnet ? { subnet: args.subnet } : {}),
    ...(args.gateway ? { gateway: args.gateway } : {}),
    labels: { 'swarm-ops.created-by': ctx.user, 'swarm-ops.request': ctx.requestId },
  });
  return reply(`Created overlay ${net.name} in ${ctx.cluster}`, parts.length ? 'warn' : 'ok', [
    {
      kind: 'fields',
      fields: [
        ['Network', `\`${net.name}\` (${net.id.slice(0, 12)})`],
        ['Driver / scope', `${net.driver} / ${net.scope}`],
        ['Attachable', net.attachable ? 'yes' : 'no'],
        ['Encrypted', net.encrypted ? 'yes' : 'no'],
        ['Subnet', net.subnets.map((s) => s.subnet + (s.gateway ? ` (gateway ${s.gateway})` : '')).join(', ') || 'assigned by Docker'],
      ],
    },
    ...parts,
    // where encrypted overlays carry nothing, the check can only fail: the warning above says so instead
    ...(net.encrypted && ctx.policy.clusters[ctx.cluster]?.ipsec === false ? [] : [{ kind: 'context' as const, text: `Check it end to end with \`/swarm overlay check ${net.name}\`.` }]),
  ]);
  },
};

/** The policy says this cluster's hosts can't do IPsec (`ipsec: false`). */
const noIpsec = (cluster: string): ReplyPart => ({
  kind: 'list',
  title: 'Warning',
  tone: 'warn',
  items: [
    `Encrypted overlays carry no traffic on ${code(cluster)}: its hosts can't do IPsec (ESP), as its policy says (\`ipsec: false\`). ` +
      `Tasks start on the network but can't reach each other, and \`/swarm overlay check\` of it fails. Leave out \`--encrypted\` here.`,
  ],
});

export const overlayRm: ChangeAction<ArgsFor<'overlay rm'>, { net: SwarmNetwork }> = {
  async plan(ctx, args) {
    await ctx.swarm.nodes.list();
    const net = await findOverlay(ctx.swarm, args.name);
    if (net.ingress || PREDEFINED.has(net.name)) {
      throw new ValidationError(`${code(net.name)} is Docker's routing-mesh network; swarm-ops does not remove it.`);
    }
    const usage = await ctx.swarm.networks.usage(net.id);
    if (usage.services.length || usage.containers) {
      throw new UserFacingError(
        'CONFLICT',
        `${code(net.name)} is in use` +
          (usage.services.length ? ` by service${usage.services.length > 1 ? 's' : ''} ${usage.services.map(code).join(', ')}` : '') +
          (usage.containers ? ` (${usage.containers} container${usage.containers > 1 ? 's' : ''})` : '') +
          '. Remove or detach them first; nothing was removed.',
      );
    }
    return { summary: `remove overlay ${code(net.name)} (${net.id.slice(0, 12)}) from ${code(ctx.cluster)}`, details: [{ kind: 'text', text: `${code(net.name)} is unused.` }], data: { net } };
  },
  async apply(ctx, _args, plan) {
    const { net } = plan.data;
    await ctx.swarm.networks.remove(net.id);
    return reply(`Removed overlay ${net.name} from ${ctx.cluster}`, 'ok', [{ kind: 'text', text: `${code(net.name)} (${net.id.slice(0, 12)}) is gone.` }]);
  },
};
