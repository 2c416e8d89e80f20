import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/commands/registry.js';
import { readOnly } from '../../src/ports.js';
import { daemonInfo, FakeSwarm, manager, service, worker } from '../support/fixtures.js';
import { run } from '../support/run.js';

/** A valid value for each positional label, so every command can be typed in a test. */
const EXAMPLES: Record<string, string> = {
  'docker-api-url': 'tcp://10.0.0.99:2376',
  node: 'w1',
  name: 'app',
  'worker|manager|both': 'both',
  command: 'status',
  'KEY=VALUE… | KEY-…': 'az=eu-west-1a',
  'on|off|rotate': 'on',
  'docker-api-url|node': 'm1',
  'node|service|kind': 'w1',
  '30m|2h|1d': '30m',
};

/** Commands whose example needs more than its positionals, or a swarm in a certain state. */
/** a service `web` of stack `app` that was updated once (it has a previous spec) */
const withService = (s: FakeSwarm) => void (s.serviceList = [service('web', { stack: 'app', previous: { image: 'registry.example/app:0.9', replicas: 2, fingerprint: 'old' } })]);

const SPECIAL: Record<string, { text: string; setup?: (s: FakeSwarm) => void }> = {
  'service scale': { text: 'service scale web=3', setup: withService },
  'service restart': { text: 'service restart web', setup: withService },
  'service update': { text: 'service update web --image registry.example/app:2.0', setup: withService },
  'service rollback': { text: 'service rollback web', setup: withService },
  'stack rollback': { text: 'stack rollback app', setup: withService },
  demote: { text: 'demote m2' },
  unlock: { text: 'unlock m1', setup: (s) => void (s.opts.probes = [{ endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1', localState: 'locked' }) }]) },
  'node rm': { text: 'node rm m2 --force' },
  recover: {
    text: 'recover --from m1',
    setup: (s) => {
      s.opts.quorumLost = true;
      s.opts.probes = [{ endpoint: 'tcp://10.0.0.1:2376', daemonUp: true, info: daemonInfo({ name: 'm1', managers: 3 }) }, { endpoint: 'tcp://10.0.0.2:2376', error: 'ECONNREFUSED' }];
    },
  },
};

const exampleText = (name: string) =>
  SPECIAL[name]?.text ?? [name, ...REGISTRY.get(name)!.positionals.filter((p) => !p.def.schema.isOptional()).map((p) => EXAMPLES[p.def.label] ?? `<no example for ${p.def.label}>`)].join(' ');

function swarm() {
  const s = new FakeSwarm([manager('m1', { leader: true }), manager('m2'), manager('m3'), worker('w1'), worker('w2')], { info: daemonInfo() });
  s.daemons.set('tcp://10.0.0.99:2376', daemonInfo({ name: 'new1', nodeId: '', localState: 'inactive' }));
  return s;
}

describe('the two-person rule is structural', () => {
  const approvalCommands = [...REGISTRY.values()].filter((c) => c.needsApproval).map((c) => c.name);

  it('covers every command that needs approval', () => {
    expect(approvalCommands.length).toBeGreaterThanOrEqual(3);
    for (const name of approvalCommands) expect(exampleText(name)).not.toMatch(/no example/);
  });

  it.each([...approvalCommands, 'node rm'])('%s without a verified approval asks for one and changes nothing', async (name) => {
    const s = swarm();
    SPECIAL[name]?.setup?.(s);
    const out = await run(s, exampleText(name));
    expect(out.kind).toBe('approval-needed');
    expect(s.changes).toEqual([]);
  });

  it.each(approvalCommands)('%s with an approval by the requester is refused and changes nothing', async (name) => {
    const s = swarm();
    SPECIAL[name]?.setup?.(s);
    await expect(run(s, exampleText(name), { user: 'U1', approvedBy: 'U1' })).rejects.toThrow(/does not belong/);
    expect(s.changes).toEqual([]);
  });

  it('plans see a swarm with no write method, at run time too', () => {
    const r = readOnly(swarm()) as unknown as Record<string, Record<string, unknown>>;
    expect(Object.keys(r['nodes']!).sort()).toEqual(['info', 'inspectDaemon', 'list', 'probeManagers']);
    expect(Object.keys(r['networks']!).sort()).toEqual(['list', 'usage']);
    expect(Object.keys(r['services']!).sort()).toEqual(['inspect', 'list', 'logs', 'tasks']);
    expect(r['tokens']).toBeUndefined();
    expect(r['probe']).toBeUndefined();
  });

  it('a change command with --dry-run changes nothing, for every change in the registry', async () => {
    for (const c of [...REGISTRY.values()].filter((c) => c.mutating)) {
      const s = swarm();
      SPECIAL[c.name]?.setup?.(s);
      s.opts.networks = [{ id: 'netapp', name: 'app', driver: 'overlay', scope: 'swarm', attachable: true, ingress: false, internal: false, encrypted: false, subnets: [], labels: {} }];
      const text = c.name === 'overlay create' ? 'overlay create fresh --dry-run' : `${exampleText(c.name)} --dry-run`;
      const out = await run(s, text);
      expect(out.kind, c.name).toBe('answer');
      expect(s.changes, c.name).toEqual([]);
    }
  });
});
