// esbuild plugins for serverless-esbuild.
//
// docker-modem requires ssh2 at load time for ssh:// Docker hosts, and ssh2
// pulls the native cpu-features addon, which can't be bundled. swarm-ops
// only speaks tcp:// with TLS, so ssh2 is replaced by a stub that explains
// itself if anything ever tries to use it.
const stub = `
class Client {
  constructor() {
    throw new Error('ssh:// Docker hosts are not supported by swarm-ops; use tcp://HOST:2376 with TLS');
  }
}
module.exports = { Client };
`;

module.exports = [
  {
    name: 'no-ssh2',
    setup(build) {
      build.onResolve({ filter: /^(ssh2|cpu-features)$/ }, (args) => ({ path: args.path, namespace: 'no-ssh2' }));
      build.onLoad({ filter: /.*/, namespace: 'no-ssh2' }, () => ({ contents: stub, loader: 'js' }));
    },
  },
];
