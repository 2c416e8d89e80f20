/**
 * The house's floors, checked by dependency-cruiser in `npm test` (docs/architecture.md draws them).
 * A file may import from its own floor's folders and from the floors below it, never upwards;
 * the two wings (the command pipeline in app/, the watch in watch/) never import each other,
 * and adapters reach only the floors that define what they implement. No import circles.
 */
const FLOORS = [
  ['ground', ['src/domain/', 'src/errors.ts', 'src/log.ts']],
  ['settings', ['src/config/', 'src/jobs.ts']],
  ['ports', ['src/ports/', 'src/ports.ts']],
  ['words', ['src/render/', 'src/commands/']],
  ['shared', ['src/shared/']],
  ['actions', ['src/actions/']],
  ['wings', ['src/app/', 'src/watch/']],
  ['composition', ['src/composition/']],
  ['entries', ['src/handlers/', 'src/terminal/', 'src/tools/', 'src/cli.ts']],
];
const ADAPTERS = 'src/adapters/';
/** adapters implement ports: they may use the floors up to here */
const ADAPTERS_REACH = 'words';

/** only the composition roots (and what stands on them) build adapters */
const COMPOSITION = FLOORS.findIndex(([n]) => n === 'composition');

const rx = (paths) => `^(${paths.map((p) => p.replace(/[.]/g, '\\.')).join('|')})`;
const above = (i) => FLOORS.slice(i + 1).flatMap(([, p]) => p);
const upTo = (name) => FLOORS.slice(0, FLOORS.findIndex(([n]) => n === name) + 1).flatMap(([, p]) => p);

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'two files that import each other (directly or round a ring) are one thing in two places', from: {}, to: { circular: true } },
    ...FLOORS.slice(0, -1).map(([name, paths], i) => ({
      name: `no-upward-from-${name}`,
      severity: 'error',
      comment: `the ${name} floor imports only from itself and the floors below`,
      from: { path: rx(paths) },
      to: { path: rx([...above(i), ...(i < COMPOSITION ? [ADAPTERS] : [])]) },
    })),
    { name: 'wings-apart-app', severity: 'error', comment: 'the command pipeline does not reach into the watch: share through a lower floor', from: { path: '^src/app/' }, to: { path: '^src/watch/' } },
    { name: 'wings-apart-watch', severity: 'error', comment: 'the watch does not reach into the command pipeline: share through a lower floor', from: { path: '^src/watch/' }, to: { path: '^src/app/' } },
    {
      name: 'adapters-at-the-edge',
      severity: 'error',
      comment: `adapters implement ports: they import the floors up to "${ADAPTERS_REACH}" and other adapters, nothing above`,
      from: { path: `^${ADAPTERS}` },
      to: { path: '^src/', pathNot: `${rx(upTo(ADAPTERS_REACH))}|^${ADAPTERS}` },
    },
    {
      name: 'adapters-by-what-they-talk-to',
      severity: 'error',
      comment: 'Docker, AWS and Slack adapters do not import each other (local stand-ins may use the AWS ones)',
      from: { path: '^src/adapters/(docker|aws|slack)/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/$1/' },
    },
    { name: 'handlers-only-wire', severity: 'error', comment: 'a Lambda handler calls one composition function', from: { path: '^src/handlers/' }, to: { path: '^src/', pathNot: '^src/(composition|handlers)/' } },
    { name: 'src-stands-alone', severity: 'error', comment: 'nothing in src/ imports tests or benchmarks', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
