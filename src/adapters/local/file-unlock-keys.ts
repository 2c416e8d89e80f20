import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UnlockKeyStore } from '../../ports.js';

/** The local runner's unlock-key store: one file per cluster, readable by its owner only (SSM in production). */
export class FileUnlockKeys implements UnlockKeyStore {
  constructor(private readonly dir: string) {}

  private file = (cluster: string) => path.join(this.dir, `${cluster.replace(/[^a-z0-9_-]/gi, '_')}.unlock-key`);

  async put(cluster: string, key: string): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.file(cluster), key, { mode: 0o600 });
  }

  where(cluster: string): string {
    return `in the file \`${this.file(cluster)}\` (readable by its owner only)`;
  }

  async get(cluster: string): Promise<string | undefined> {
    const f = this.file(cluster);
    return existsSync(f) ? readFileSync(f, 'utf8').trim() || undefined : undefined;
  }
}
