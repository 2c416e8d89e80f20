/**
 * `npm start`: with no command, a Slack-like conversation in the terminal
 * (src/local/main.ts; `--script FILE` plays one, `--from DIR` reads another
 * parameter folder). `npm start -- <command>`: runs one /swarm command and
 * prints the answer as text. Either talks to the swarm the environment names
 * (SWARM_OPS_ENDPOINTS with SWARM_OPS_CA/_CERT/_KEY, or DOCKER_HOST,
 * DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else to the swarm lab, started first
 * if needed (root only); src/local/swarm-target.ts says what is missing.
 */
import path from 'node:path';
import { runLocal } from './composition/local.js';
import { runWatchOnce } from './composition/watch.js';
import type { ClusterCredentials } from './ports.js';
import { createStateClient, DynamoState } from './adapters/dynamo-state.js';
import { DynamoWatchStore } from './adapters/dynamo-watch.js';
import { startLocalDynamo } from './adapters/local-dynamo.js';
import { FileUnlockKeys } from './adapters/file-unlock-keys.js';
import { conversationArgs, runConversation } from './local/main.js';
import { labDir, LocalSetupError, swarmTarget } from './local/swarm-target.js';

function credentials(): ClusterCredentials {
  try {
    return swarmTarget().creds;
  } catch (err) {
    if (!(err instanceof LocalSetupError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

const conversation = conversationArgs(process.argv.slice(2));
if (conversation) {
  process.exitCode = await runConversation(conversation);
  // the AWS SDK's and dynalite's sockets may linger a moment: the conversation is over
  process.exit();
}

const text = process.argv.slice(2).join(' ');
// the bot's table, embedded: dynalite in this process, the real AWS SDK pointed at it
const dynamo = await startLocalDynamo({ tableName: 'swarm-ops-local-state' });
try {
  const doc = createStateClient(dynamo.clientConfig);
  const history = new DynamoState(doc, dynamo.tableName);
  const needsSwarm = !/^\s*help\b/i.test(text);
  // `--watch-once`: one pass of the watch over the lab, its posts printed instead of sent
  const { output, ok } = text.trim() === '--watch-once' ? await runWatchOnce(credentials(), { incidents: new DynamoWatchStore(doc, dynamo.tableName), claims: history }) : await runLocal(text, needsSwarm ? credentials() : { endpoints: ['tcp://127.0.0.1:1'], ca: '', cert: '', key: '' }, history, history, new FileUnlockKeys(path.join(labDir(), 'unlock-keys')));
  process.stdout.write(output);
  process.exitCode = ok ? 0 : 1;
} finally {
  await dynamo.close();
}
