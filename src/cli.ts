/**
 * `npm start`: with no command, a Slack-like conversation in the terminal
 * (src/terminal/main.ts; `--script FILE` plays one, `--from DIR` reads another
 * parameter folder). `npm start -- <command>`: runs one /swarm command and
 * prints the answer as text. Either talks to the swarm the environment names
 * (SWARM_OPS_ENDPOINTS with SWARM_OPS_CA/_CERT/_KEY, or DOCKER_HOST,
 * DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else to the swarm lab, started first
 * if needed (root only); src/terminal/swarm-target.ts says what is missing.
 */
import path from 'node:path';
import { runOneShot } from './composition/one-shot-root.js';
import type { ClusterCredentials } from './ports.js';
import { conversationArgs, runConversation } from './terminal/main.js';
import { labDir, LocalSetupError, swarmTarget } from './terminal/swarm-target.js';

function credentials(): ClusterCredentials {
  try {
    return swarmTarget().creds;
  } catch (err) {
    if (!(err instanceof LocalSetupError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

// the AWS SDK's 7-line "will require node >=22" warning (its clients only talk to the embedded table here) is not the person's
// concern: only that warning is turned off, by the SDK's own switch, and only in this process
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const conversation = conversationArgs(process.argv.slice(2));
if (conversation) {
  process.exitCode = await runConversation(conversation);
  // the AWS SDK's and dynalite's sockets may linger a moment: the conversation is over
  process.exit();
}

const text = process.argv.slice(2).join(' ');
const { output, ok } = await runOneShot(text, { credentials, unlockKeysDir: path.join(labDir(), 'unlock-keys') });
process.stdout.write(output);
process.exitCode = ok ? 0 : 1;
