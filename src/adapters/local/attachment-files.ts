import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Attachment } from '../../domain/reply.js';

/**
 * Where Slack would show a reply's file (a heatmap), the local runner writes
 * it: into a fresh directory under `dir` (the system's temporary directory
 * unless given), under its own name. Returns the path.
 */
export function writeAttachment(file: Attachment, dir = tmpdir()): string {
  const where = path.join(mkdtempSync(path.join(dir, 'swarm-ops-')), path.basename(file.filename));
  writeFileSync(where, file.bytes);
  return where;
}
