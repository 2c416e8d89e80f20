/**
 * The docs stay true: every path they name exists, every code name they
 * mention is defined in src/ (or test/), the README's command list and the
 * registry agree, and tests sit where the code they test sits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/commands/registry.js';

const root = path.resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', 'docs/architecture.md', 'docs/threat-model.md', 'test/lab/README.md', 'CHANGELOG.md'].filter((d) => existsSync(path.join(root, d)));

function filesUnder(dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}
const CODE = [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('bench'), ...filesUnder('build')];

/** `src/a/*.ts` and `src/handlers/slack.handler` (serverless.yml's spelling) name files too */
function pathExists(p: string): boolean {
  const clean = p.replace(/[.,:;)]+$/, '');
  if (clean.includes('<')) return true; // a placeholder such as test/render/golden/<name>.txt
  if (/\.handler$/.test(clean)) return existsSync(path.join(root, clean.replace(/\.handler$/, '.ts')));
  if (clean.includes('*')) {
    const rx = new RegExp(`^${clean.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
    return CODE.some((f) => rx.test(f));
  }
  return existsSync(path.join(root, clean));
}

function pathsIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w/.-])((?:src|test|bench|build|infra|docs)\/[\w./*<>-]+|slack\/manifest\.yml)/g)].map((m) => m[1]!);
}

/** file names alone, as prose often gives them: `docker-transport.ts` */
function fileNamesIn(text: string): string[] {
  return [...text.matchAll(/`([\w-]+\.(?:ts|cjs|sh|json|yml))`/g)].map((m) => m[1]!);
}

/** backticked code names that can only be ours: camelCase with a hump, or PascalCase with two, e.g. `handleDecision`, `DockerSwarm` */
function codeNamesIn(text: string): string[] {
  return [...text.matchAll(/`([a-z]+[A-Z]\w*|[A-Z][a-z][a-z0-9]*[A-Z]\w*)(?:\(\))?`/g)].map((m) => m[1]!);
}

// what the code defines, and what the deployables declare (serverless.yml's params and roles, the manifest, the table)
const SOURCE = [...CODE.filter((f) => /\.(ts|cjs|mjs)$/.test(f)), 'serverless.yml', 'slack/manifest.yml', 'infra/state-table.json']
  .map((f) => readFileSync(path.join(root, f), 'utf8'))
  .join('\n');
const defined = (name: string) =>
  new RegExp(`(?:function\\*?|class|interface|type|const|let|enum|namespace)\\s+${name}\\b|\\b${name}\\s*[:(=]|\\b${name}\\??:\\s|export\\s*\\{[^}]*\\b${name}\\b`).test(SOURCE);
/** names of other projects' APIs the docs may mention (Slack's, AWS's, Docker's): not ours to define */
const THEIRS = new Set(['postMessage', 'getRemainingTimeInMillis', 'responseUrl', 'uploadV2', 'filesUploadV2', 'AwsLambdaReceiver', 'GetParameters', 'GetParametersByPath', 'GetParameter', 'InvocationType', 'SecureString', 'StringList', 'DynamoDB', 'CloudWatch', 'CloudFormation', 'EventBridge', 'ForceUpdate', 'PreviousSpec', 'UpdateStatus', 'UpdateConfig', 'ServiceStatus', 'RunningTasks', 'DesiredTasks', 'FailureAction', 'TaskTemplate', 'ContainerSpec', 'ExitCode', 'NodeID', 'DesiredState', 'ManagerStatus', 'RootRotationInProgress', 'TLSInfo', 'ErrCode', 'PutParameter', 'DeleteParameter', 'KeyId', 'AwsLambdaReceiverOptions', 'LocalState', 'ControlAvailable', 'RemoteManagers', 'NodeVersionSupportWarning', 'DryRun', 'ProvisionedConcurrency', 'ReservedConcurrency', 'MaximumRetryAttempts', 'DestinationConfig', 'OnFailure', 'VpcConfig', 'SecurityGroupIds', 'SubnetIds', 'AsyncEventsDropped', 'DestinationDeliveryFailures', 'NodeNext', 'TypeScript', 'JavaScript', 'GitHub', 'PowerTools', 'BlockKit', 'LevelDB', 'StateTable', 'SlackApi', 'YouTube', 'MacOS', 'DockerHub']);

describe('the docs name only what exists', () => {
  for (const doc of DOCS) {
    const text = readFileSync(path.join(root, doc), 'utf8');
    it(`${doc}: every path it names exists`, () => {
      const missing = pathsIn(text).filter((p) => !pathExists(p));
      expect(missing, `paths in ${doc} that do not exist`).toEqual([]);
    });
    it(`${doc}: every file it names by itself exists somewhere in the tree`, () => {
      const names = new Set(CODE.map((f) => path.basename(f)).concat(['package.json', 'serverless.yml', 'tsconfig.json', 'manifest.yml', 'lab.json', 'state-table.json', 'daemon.json', 'policy.json', 'results.json', 'soak.json', 'lab.sh', 'vitest.config.ts', 'biome.json', '.dependency-cruiser.cjs']));
      expect(fileNamesIn(text).filter((n) => !names.has(n)), `file names in ${doc} that no file has`).toEqual([]);
    });
    it(`${doc}: every code name it mentions is defined`, () => {
      const missing = [...new Set(codeNamesIn(text))].filter((n) => !THEIRS.has(n) && !defined(n));
      expect(missing, `names in ${doc} that the code does not define`).toEqual([]);
    });
  }
});

describe("the README's command list is the registry's", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = readme.slice(0, readme.indexOf('## ')).split('\n').filter((l) => l.startsWith('/swarm '));
  const words = new Set(block.join(' ').split(/[^a-z-]+/));
  it('names every command of the registry', () => {
    const absent = [...REGISTRY.keys()].filter((name) => !name.split(' ').every((w) => words.has(w)));
    expect(absent).toEqual([]);
  });
  it('names no command the registry lacks', () => {
    const firsts = new Set([...REGISTRY.keys()].map((n) => n.split(' ')[0]));
    const unknown = block.flatMap((l) => l.split(/\s+/)[1]!.split('|')).filter((w) => !firsts.has(w));
    expect(unknown).toEqual([]);
  });
});

describe('tests mirror src/', () => {
  it('a unit test sits at the path of what it tests (src/X/Y.ts → test/X/Y[-aspect].test.ts)', () => {
    const tests = filesUnder('test').filter((f) => f.endsWith('.test.ts') && !/^test\/(integration|properties)\//.test(f));
    const misfiled = tests.filter((t) => {
      const dir = path.dirname(t).replace(/^test/, 'src');
      const base = path.basename(t, '.test.ts');
      // the deployables are tested beside their own folders: serverless.yml, slack/manifest.yml, the docs
      if (t === 'test/serverless.test.ts' || t.startsWith('test/slack/') || t.startsWith('test/docs/')) return false;
      // the threat model's findings, each tested across the layers it crosses
      if (t.startsWith('test/trust/')) return false;
      if (!existsSync(path.join(root, dir))) return true;
      const sources = readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => path.basename(f, '.ts'));
      return !sources.some((s) => base === s || base.startsWith(`${s}-`));
    });
    expect(misfiled).toEqual([]);
  });
});
