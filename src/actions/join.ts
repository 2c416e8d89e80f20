import type { NodeRole } from '../ports.js';
import { SwarmError } from '../errors.js';
import { assessQuorum, evenManagersAdvice, explainQuorum } from '../domain/quorum.js';
import { reply, type ReplyPart } from '../domain/reply.js';
import type { DockerApiUrl } from '../commands/validators.js';
import type { Action } from './types.js';

interface JoinArgs {
  url: DockerApiUrl;
  'advertise-addr'?: string;
  'data-path-addr'?: string;
}

/** `/swarm join worker|manager <url>`: the bot joins the node itself, so no token is ever shown. */
export const join =
  (role: NodeRole): Action<JoinArgs> =>
  async (ctx, args) => {
    const url = args.url.url;
    // needs a leader, also for a dry run: a join can't happen without one
    const members = await ctx.swarm.listNodes();
    const target = await ctx.swarm.inspectDaemon(url);
    const member = members.find((n) => n.id === target.nodeId);
    if (member) {
      throw new SwarmError(
        'ALREADY_IN_SWARM',
        `\`${member.hostname}\` (${url}) is already a ${member.role} of \`${ctx.cluster}\`; nothing was changed.` +
          (role === 'manager' && member.role === 'worker' ? ` To make it a manager, type \`/swarm promote ${member.hostname}\`.` : ''),
      );
    }
    if (target.localState !== 'inactive') {
      throw new SwarmError(
        'ALREADY_IN_SWARM',
        `\`${target.name}\` (${url}) is already part of a swarm (state: ${target.localState}); nothing was changed. ` +
          'Run `docker swarm leave` on it first if it should join this one.',
      );
    }
    const parts: ReplyPart[] = [];
    const addrs = [
      `advertise ${args['advertise-addr'] ?? `${args.url.host} (from the URL)`}`,
      `data path ${args['data-path-addr'] ?? args['advertise-addr'] ?? `${args.url.host} (from the URL)`}`,
    ];
    if (role === 'manager') {
      const managers = members.filter((n) => n.role === 'manager');
      const reachable = managers.filter((m) => m.manager?.reachability === 'reachable').length;
      const before = assessQuorum(managers.length, reachable);
      const after = assessQuorum(managers.length + 1, reachable + 1);
      parts.push({ kind: 'fields', fields: [['Now', explainQuorum(before)], ['After the join', explainQuorum(after)]] });
      if (after.managers % 2 === 0) {
        parts.push({
          kind: 'list',
          title: 'Warning',
          tone: 'warn',
          items: [evenManagersAdvice(after.managers)],
        });
      }
    }
    const what = `\`${target.name}\` (${url}) as a ${role}`;
    if (ctx.dryRun) {
      return reply(`Dry run: would join ${target.name} to ${ctx.cluster} as a ${role}`, 'info', [
        {
          kind: 'text',
          text:
            `${url} answers and is not in a swarm. Would ${role === 'manager' ? 'ask an approver, then ' : ''}join ${what} (${addrs.join(', ')}), then wait for it to be Ready.` +
            `${ctx.policy.rotateAfterJoin ? ` Then the ${role} join token would be rotated.` : ''} Nothing was changed.`,
        },
        ...parts,
      ]);
    }
    if (role === 'manager' && !ctx.approval) {
      // the worker turns this into an approval request with Approve / Deny buttons
      return {
        ...reply(`Approval needed: join ${target.name} to ${ctx.cluster} as a manager`, 'info', [
          { kind: 'text', text: `<@${ctx.user}> asks to join ${what} (${addrs.join(', ')}).` },
          ...parts,
        ]),
        approvalRequest: true,
      };
    }
    if (!(await ctx.swarm.claimOperation({ key: `join-${ctx.requestId}`, attempt: ctx.attempt, description: `join ${role} ${url} by ${ctx.user}` }))) {
      return reply(`Join ${ctx.requestId} was already carried out`, 'info', [
        { kind: 'text', text: 'This request was delivered twice; the node was joined once and nothing was done again.' },
      ]);
    }
    const node = await ctx.swarm.joinNode({
      url,
      role,
      ...(args['advertise-addr'] ? { advertiseAddr: args['advertise-addr'] } : {}),
      ...(args['data-path-addr'] ? { dataPathAddr: args['data-path-addr'] } : {}),
    });
    const done: ReplyPart[] = [
      {
        kind: 'fields',
        fields: [
          ['Node', `\`${node.hostname}\` (${node.id.slice(0, 12)})`],
          ['Role', node.role],
          ['Status', `${node.state}, ${node.availability}`],
          ['Engine', node.engineVersion],
        ],
      },
    ];
    let tone: 'ok' | 'warn' = 'ok';
    if (ctx.policy.rotateAfterJoin) {
      // the token just used may have leaked along the way: it dies now
      try {
        const { rotated } = await ctx.swarm.rotateJoinTokens([role]);
        done.push({ kind: 'context', text: rotated.includes(role) ? `The ${role} join token used for this join has been rotated.` : `Rotating the ${role} join token reported no change.` });
      } catch (err) {
        // the join itself succeeded; say so, and what is left to do
        tone = 'warn';
        done.push({
          kind: 'list',
          title: 'Token not rotated',
          tone: 'warn',
          items: [`The join succeeded, but rotating the ${role} join token failed (${err instanceof Error ? err.message : String(err)}). Run \`/swarm rotate ${role}\`.`],
        });
      }
    }
    if (ctx.approval) done.push({ kind: 'context', text: `Requested by <@${ctx.user}>, approved by <@${ctx.approval.approver}>.` });
    return reply(`${node.hostname} joined ${ctx.cluster} as a ${role}`, tone, [...parts, ...done]);
  };
