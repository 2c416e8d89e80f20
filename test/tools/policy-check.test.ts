import { stripVTControlCharacters } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { checkPolicyText, main } from '../../src/tools/policy-check.js';

const good = {
  defaultCluster: 'prod',
  auditChannel: 'C0AUDIT',
  channels: { C0PRODOPS: 'prod' },
  roles: { viewer: ['U0VIEW'], operator: ['U0OPS'], approver: ['U0APPROVE', 'U0LEAD'] },
  clusters: { prod: { rotate: ['worker'], allowChannels: ['C0PRODOPS'] } },
  teamId: 'T0WORKSPACE',
};
const check = (policy: unknown) => checkPolicyText(typeof policy === 'string' ? policy : JSON.stringify(policy));

describe('policy:check', () => {
  it('a sound policy: valid, no warnings', () => {
    expect(check(good)).toMatchObject({ errors: [], warnings: [] });
  });

  it.each([
    ['a key left out', { ...good, defaultCluster: undefined }, 'defaultCluster is missing. Add it, e.g. "defaultCluster": "prod".'],
    ['a number in quotes', { ...good, approvalTtlMinutes: '15' }, 'approvalTtlMinutes is a string ("15"), but it must be a number: type 15, without the quotes.'],
    ['a misspelt key', { ...good, clusters: { prod: { allowChannel: ['C0PRODOPS'] } } }, 'clusters.prod has a key "allowChannel" that the policy doesn\'t know: did you mean "allowChannels"? Keys allowed there: "rotate", "allowChannels", "roles", "joinCidrs", "ipsec", "watch", "approve".'],
    ['a word not in the list', { ...good, clusters: { prod: { rotate: ['workers'] } } }, 'clusters.prod.rotate[0] is "workers": type one of "worker", "manager" (did you mean "worker"?).'],
    ['a #name for a channel ID', { ...good, clusters: { prod: { allowChannels: ['#prod-ops'] } } }, 'clusters.prod.allowChannels[0] is "#prod-ops": it must be a Slack channel ID such as C0PRODOPS (not a #name). Type "C0PRODOPS" (a channel ID, not its #name) instead.'],
    ['a user ID that is a number', { ...good, roles: { ...good.roles, operator: [42] } }, 'roles.operator[0] is a number (42), but it must be a string. Type "U0OPS" (a member ID: in Slack, a profile\'s ⋮ menu, "Copy member ID") instead.'],
    ['an approve list naming no changing command', { ...good, clusters: { prod: { approve: ['service updte'] } } }, 'clusters.prod.approve[0] is "service updte", which is not a changing command (did you mean "service update"?).'],
    ['a bad subnet', { ...good, clusters: { prod: { joinCidrs: ['10.0.0.0/33'] } } }, 'clusters.prod.joinCidrs[0]: 10.0.0.0/33 is not a CIDR subnet. Type it as ADDRESS/PREFIX, e.g. 10.20.0.0/24.'],
    ['a number out of range', { ...good, clusters: { prod: { watch: { channel: 'C0ALERTS', graceMinutes: -1 } } } }, 'clusters.prod.watch.graceMinutes is -1; it must be at least 0. Type 3 instead.'],
    ['an empty audit channel', { ...good, auditChannel: '' }, 'auditChannel is empty. Type "C0AUDIT" (a channel ID: the channel\'s details in Slack show it at the bottom) instead.'],
    ['a fraction for a whole number', { ...good, auditRetentionDays: 2.5 }, 'auditRetentionDays is a fractional number (2.5), but it must be a whole number. Type 400 instead.'],
    ['a bad cluster name', { ...good, defaultCluster: 'prod eu' }, 'defaultCluster is "prod eu": cluster names are letters, digits, - and _. Type "prod" instead.'],
    ['an unknown top-level key', { ...good, approvers: ['U0LEAD'] }, 'The policy has a key "approvers" that the policy doesn\'t know.'],
  ])('%s: one plain sentence saying where, what is wrong and what to type', (_, policy, sentence) => {
    const r = check(policy);
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]).toContain(sentence);
  });

  it('JSON mistakes are placed by line and column, with the likely cause', () => {
    const trailing = check('{\n  "defaultCluster": "prod",\n  "auditChannel": "C0AUDIT",\n}');
    expect(trailing.errors).toEqual([expect.stringMatching(/^The file is not valid JSON at line 4, column 1: .*There is a comma before a closing bracket: JSON allows none there, remove it\.$/)]);
    expect(check("{'defaultCluster': 'prod'}").errors[0]).toMatch(/line 1, column 2: .*JSON strings take double quotes/);
  });

  it('warns of valid but risky settings', () => {
    const r = check({
      ...good,
      auditChannel: '#audit',
      channels: { C0PRODOPS: 'prod', C0OTHER: 'prod' },
      roles: { viewer: [], operator: ['*'], approver: ['U0APPROVE'] },
      clusters: { prod: { allowChannels: ['C0PRODOPS'] }, staging: { roles: { approver: ['*'] } } },
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^roles\.operator holds "\*": everyone in the workspace can join nodes/),
      'roles.approver names one person (U0APPROVE) for prod: while they are away nothing that needs approval can happen, and their own requests can never be approved. Add a second approver.',
      expect.stringMatching(/^clusters\.staging\.roles\.approver holds "\*": anyone can approve manager-level changes for staging/),
      'Cluster staging has no allowChannels: its commands are accepted in any channel and in direct messages, where the team doesn\'t see them. Add "allowChannels": ["C0PRODOPS"] under clusters.staging.',
      expect.stringMatching(/^channels maps C0OTHER to prod, but clusters\.prod\.allowChannels does not list C0OTHER/),
      expect.stringMatching(/^auditChannel is "#audit", which does not look like a channel ID/),
    ]);
    expect(check({ ...good, roles: { ...good.roles, approver: [] } }).warnings).toEqual([expect.stringMatching(/^roles\.approver is empty for prod: join manager, promote, demote/)]);
  });

  it('the command: exit 1 on errors, 0 on a valid policy (warnings included), 2 when the file can\'t be read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'policy-check-'));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const writeErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...good, approvalTtlMinutes: 0 }));
      writeFileSync(path.join(dir, 'good.json'), JSON.stringify({ ...good, roles: { ...good.roles, approver: ['U0APPROVE'] } }));
      expect(main([path.join(dir, 'bad.json')])).toBe(1);
      expect(stripVTControlCharacters(String(write.mock.calls.at(-1)?.[0]))).toMatch(/1 error; the bot would refuse this policy\.\n.*approvalTtlMinutes is 0; it must be at least 1\. Type 15 instead\./s);
      expect(main([path.join(dir, 'good.json')])).toBe(0);
      expect(stripVTControlCharacters(String(write.mock.calls.at(-1)?.[0]))).toMatch(/is a valid policy, with 1 warning\./);
      expect(main([path.join(dir, 'missing.json')])).toBe(2);
      expect(stripVTControlCharacters(String(writeErr.mock.calls.at(-1)?.[0]))).toMatch(/missing\.json can't be read \(ENOENT\)/);
    } finally {
      write.mockRestore();
      writeErr.mockRestore();
    }
  });
});
