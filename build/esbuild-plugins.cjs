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

// AWS credentials: Lambda hands every function its role's credentials in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
// the first place the SDK's default chain looks. The rest of that chain
// (SSO, shared ini files, web identity, STS, ECS/IMDS, with their nested
// clients) was a fifth of the slack bundle and about 40 ms of its cold start
// (npm run bench). Here the chain reads the environment, and only where it
// holds no credentials (serverless offline with a profile, say) loads the
// SDK's own full chain at run time from node_modules (left out of the bundle:
// a zip that runs without credentials in its environment needs the runtime's
// SDK, which Lambda's nodejs runtimes carry; both packages are dependencies
// here, so the local runner and serverless offline find ours).
const envFirstCredentials = `
import { fromEnv } from '@aws-sdk/credential-provider-env';
export const credentialsWillNeedRefresh = (c) => c?.expiration !== undefined;
export const credentialsTreatedAsExpired = (c) => c?.expiration !== undefined && c.expiration.getTime() - Date.now() < 300000;
export const defaultProvider = (init = {}) => {
  const env = fromEnv(init);
  let full;
  return (options) => {
    // as the SDK's chain: a profile asked for wins over keys in the environment
    if (!init.profile && !process.env.AWS_PROFILE && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return env(options);
    full ??= require('@aws-sdk/credential-provider-node').defaultProvider(init);
    return full(options);
  };
};
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

// Bolt's public index (`@slack/bolt`) is CommonJS, which esbuild cannot tree-shake: importing the receiver from
// it would bundle App, its Web API client, OAuth, Express, Socket Mode and every other receiver (2.0 MB of
// slack.js instead of 0.46 MB). Our code takes nothing from Bolt at run time but AwsLambdaReceiver
// (src/app/slack-events.ts), so here `@slack/bolt`, imported from src/, is a module that exports just that
// (any other name is a build error: "No matching export"). Code outside src/ (bench/bare-bolt.ts) gets all of Bolt.
const src = path.join(__dirname, '..', 'src') + path.sep;
const boltReceiverOnly = `
import receiver from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
// a CommonJS module with exports.default: esbuild hands over exports.default, or in Node mode the exports object
export const AwsLambdaReceiver = receiver.default ?? receiver;
`;

module.exports = [
  commonjsMarker,
  {
    name: 'bolt-receiver-only',
    setup(build) {
      build.onResolve({ filter: /^@slack\/bolt$/ }, (args) =>
        args.importer.startsWith(src) ? { path: args.path, namespace: 'bolt-receiver-only', pluginData: { resolveDir: args.resolveDir } } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'bolt-receiver-only' }, (args) => ({ contents: boltReceiverOnly, loader: 'js', resolveDir: args.pluginData.resolveDir }));
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
    name: 'env-first-aws-credentials',
    setup(build) {
      // from our stub, the real chain stays outside the bundle
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/, namespace: 'env-first-credentials' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) => ({ path: args.path, namespace: 'env-first-credentials' }));
      build.onLoad({ filter: /.*/, namespace: 'env-first-credentials' }, () => ({ contents: envFirstCredentials, loader: 'js', resolveDir: __dirname }));
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
