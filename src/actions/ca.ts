import { X509Certificate } from 'node:crypto';
import type { ArgsFor } from '../commands/registry.js';
import { naturalCompare } from '../domain/natural-sort.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import { UserFacingError } from '../errors.js';
import { code } from '../render/escape.js';
import type { ClusterInfo, SwarmNode } from '../ports.js';
import type { ChangeAction, ReadAction, ReadContext } from './types.js';

const DAY_MS = 86_400_000;
/** how long `ca rotate` keeps its message updated before it says which nodes lag */
export const CA_ROTATION_WAIT_MS = 10 * 60_000;

const sameIssuer = (n: SwarmNode, c: ClusterInfo) => n.tlsIssuer?.subject === c.tlsIssuer.subject && n.tlsIssuer?.publicKey === c.tlsIssuer.publicKey;
const days = (ms: number) => Math.round(ms / DAY_MS);

/** The root CA as a person reads it: SHA-256 fingerprint and validity. */
function describeRoot(pem: string, now: Date): { fields: Array<[string, string]>; warn?: string } {
  try {
    const x = new X509Certificate(pem);
    const expires = new Date(x.validTo);
    const left = expires.getTime() - now.getTime();
    return {
      fields: [
        ['Root CA', code(x.subject.replace(/\n/g, ', '))],
        ['Fingerprint (SHA-256)', code(x.fingerprint256)],
        ['Expires', `${expires.toISOString().slice(0, 10)} (in ${days(left)} days)`],
      ],
      ...(left < 30 * DAY_MS ? { warn: `The root CA expires in ${days(left)} days: rotate it with \`/swarm ca rotate\`.` } : {}),
    };
  } catch {
    return { fields: [['Root CA', 'not readable from the swarm']] };
  }
}

async function caState(ctx: ReadContext) {
  const [info, nodes] = await Promise.all([ctx.swarm.cluster.inspect(), ctx.swarm.nodes.list()]);
  const lagging = nodes.filter((n) => !sameIssuer(n, info)).sort((a, b) => naturalCompare(a.hostname, b.hostname));
  return { info, nodes, lagging };
}

/** `/swarm ca`: root CA fingerprint and expiry, node certificate period, rotation, nodes not yet rotated. */
export const ca: ReadAction<ArgsFor<'ca'>> = {
  async run(ctx) {
    const { info, nodes, lagging } = await caState(ctx);
    const root = describeRoot(info.rootCaPem, ctx.clock.now());
    const parts: ReplyPart[] = [
      {
        kind: 'fields',
        fields: [
          ...root.fields,
          ['Node certificates', `valid ${days(info.nodeCertPeriodMs)} days, renewed automatically`],
          ['Rotation', info.rootRotationInProgress ? 'in progress' : 'none in progress'],
          ['Nodes on the current root', `${nodes.length - lagging.length} of ${nodes.length}`],
        ],
      },
    ];
    if (lagging.length) parts.push({ kind: 'list', title: 'Nodes whose certificate is not yet from the current root', tone: 'warn', items: lagging.map((n) => `${code(n.hostname)} (${n.state})`) });
    if (root.warn) parts.push({ kind: 'list', title: 'Warning', tone: 'warn', items: [root.warn] });
    return reply(`Swarm CA of ${ctx.cluster}`, lagging.length || root.warn ? 'warn' : 'ok', parts);
  },
};

/** `/swarm ca rotate`: a new root CA; the message shows progress until every node has rotated. */
export const caRotate = (waitMs = CA_ROTATION_WAIT_MS, pollMs = 1000): ChangeAction<ArgsFor<'ca rotate'>, { nodes: number }> => ({
  async plan(ctx) {
    const { info, nodes } = await caState(ctx);
    if (info.rootRotationInProgress) {
      throw new UserFacingError('CONFLICT', 'A CA rotation is already in progress; `/swarm ca` shows how far it is. Nothing was changed.');
    }
    const down = nodes.filter((n) => n.state !== 'ready');
    return {
      summary: `rotate the root CA of ${code(ctx.cluster)} (${nodes.length} nodes get new certificates)`,
      details: [
        { kind: 'text', text: 'Swarm issues a new root CA, renews every node\'s certificate from it, then drops the old root. Running services are not interrupted.' },
        ...(down.length ? [{ kind: 'list' as const, title: 'Not ready now: they rotate when they return', tone: 'warn' as const, items: down.map((n) => code(n.hostname)) }] : []),
      ],
      data: { nodes: nodes.length },
    };
  },
  async apply(ctx) {
    await ctx.swarm.cluster.rotateCa();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { info, nodes, lagging } = await caState(ctx);
      const rotated = nodes.length - lagging.length;
      if (!info.rootRotationInProgress && !lagging.length) {
        return reply(`CA of ${ctx.cluster} rotated`, 'ok', [
          { kind: 'text', text: `Every node (${nodes.length}) has a certificate from the new root, and the old root is no longer trusted.` },
          { kind: 'fields', fields: describeRoot(info.rootCaPem, ctx.clock.now()).fields },
        ]);
      }
      ctx.progress(`CA rotation: ${rotated} of ${nodes.length} nodes have new certificates${info.rootRotationInProgress ? '' : '; finishing'}`);
      if (Date.now() > deadline) {
        return reply(`CA rotation of ${ctx.cluster} still in progress`, 'warn', [
          { kind: 'text', text: `${rotated} of ${nodes.length} nodes have new certificates after ${Math.round(waitMs / 60_000)} minutes. Swarm goes on by itself; \`/swarm ca\` shows the progress.` },
          { kind: 'list', title: 'Not rotated yet', tone: 'warn', items: lagging.map((n) => `${code(n.hostname)} (${n.state})`) },
        ]);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  },
});
