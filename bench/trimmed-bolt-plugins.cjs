// A second, stricter baseline for the cold acknowledgement: the bare Bolt app
// with Bolt's unused parts cut out by hand, as swarm-ops's own build did while
// its ingress still loaded Bolt's App. Socket Mode and Express (constructed
// only by their receivers) and raw-body with iconv-lite (read only by the HTTP
// receivers) become stubs. Bench only: no function is built with these.
const unused = (what) => `
function unused() { throw new Error('trimmed bare Bolt: ${what} is not included'); }
module.exports = new Proxy(unused, { get: (target, key) => (key === '__esModule' ? false : unused) });
`;

module.exports = [
  {
    name: 'trimmed-bolt',
    setup(build) {
      build.onResolve({ filter: /^(@slack\/socket-mode|express|raw-body)$/ }, (args) => ({ path: args.path, namespace: 'trimmed-bolt' }));
      build.onLoad({ filter: /.*/, namespace: 'trimmed-bolt' }, (args) => ({ contents: unused(args.path), loader: 'js' }));
    },
  },
];
