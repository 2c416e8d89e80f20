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

// dockerode 5 loads gRPC and protobuf for BuildKit sessions (`docker build`
// with buildx). swarm-ops never builds images, and these were about a quarter
// of the worker bundle, so they are replaced by stubs that explain themselves.
const noBuildkit = `
function unsupported() {
  throw new Error('BuildKit sessions (docker build) are not part of swarm-ops; gRPC is not bundled');
}
module.exports = new Proxy(unsupported, { get: (target, key) => (key === '__esModule' ? false : unsupported) });
`;

// The bundles are CommonJS, but this repository's package.json says
// "type": "module"; serverless-offline loads them from inside the repo, where
// Node would then read them as ES modules. A package.json beside them says what
// they are.
const fs = require('node:fs');
const path = require('node:path');
const commonjsMarker = {
  name: 'commonjs-marker',
  setup(build) {
    build.onEnd(() => {
      const outdir = build.initialOptions.outdir ?? path.dirname(build.initialOptions.outfile ?? '.');
      fs.mkdirSync(outdir, { recursive: true });
      fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
    });
  },
};

module.exports = [
  commonjsMarker,
  {
    name: 'no-buildkit-session',
    setup(build) {
      build.onResolve({ filter: /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'no-buildkit' }));
      build.onLoad({ filter: /.*/, namespace: 'no-buildkit' }, () => ({ contents: noBuildkit, loader: 'js' }));
    },
  },
  {
    name: 'no-ssh2',
    setup(build) {
      build.onResolve({ filter: /^(ssh2|cpu-features)$/ }, (args) => ({ path: args.path, namespace: 'no-ssh2' }));
      build.onLoad({ filter: /.*/, namespace: 'no-ssh2' }, () => ({ contents: stub, loader: 'js' }));
    },
  },
];
