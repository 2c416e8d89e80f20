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

// Bolt's App module loads every receiver, and so Socket Mode (with undici)
// and Express, though the slack function only uses AwsLambdaReceiver. Both
// are constructed only when those receivers are, so stubs that explain
// themselves keep about 1.5 MB of code out of the acknowledgement path.
const unusedReceiverDeps = `
function unused() {
  throw new Error('swarm-ops bundles Bolt with AwsLambdaReceiver only; Socket Mode and Express receivers are not included');
}
module.exports = new Proxy(unused, { get: (target, key) => (key === '__esModule' ? false : key === 'default' ? unused : unused) });
`;

// raw-body reads an http.IncomingMessage for Bolt's HTTP and Express
// receivers, and loads iconv-lite (about 480 KB, two thirds of a bare Bolt
// bundle) for charsets Slack never sends. AwsLambdaReceiver gets the body from
// the Lambda event, so the slack function never calls it.
const noRawBody = `
module.exports = function rawBody() {
  throw new Error('swarm-ops bundles Bolt with AwsLambdaReceiver only: raw-body (HTTP receivers) is not included');
};
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
    name: 'no-unused-bolt-receivers',
    setup(build) {
      build.onResolve({ filter: /^(@slack\/socket-mode|express)$/ }, (args) => ({ path: args.path, namespace: 'unused-receiver' }));
      build.onLoad({ filter: /.*/, namespace: 'unused-receiver' }, () => ({ contents: unusedReceiverDeps, loader: 'js' }));
    },
  },
  {
    name: 'no-raw-body',
    setup(build) {
      build.onResolve({ filter: /^raw-body$/ }, (args) => ({ path: args.path, namespace: 'no-raw-body' }));
      build.onLoad({ filter: /.*/, namespace: 'no-raw-body' }, () => ({ contents: noRawBody, loader: 'js' }));
    },
  },
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
