/**
 * An in-process DynamoDB (dynalite) holding the state table, for the tests
 * and the local runner: in memory, or kept in a folder (LevelDB) so that the
 * history survives a restart, as a real table's would. Never imported by a
 * Lambda's code: dynalite is a dev dependency and stays out of the bundles.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../aws/state-table.js';

/** dynalite's factory (it ships no TypeScript declarations) */
type Dynalite = (opts: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string }) => Server;

export interface LocalDynamo {
  /** the URL to put in `AWS_ENDPOINT_URL_DYNAMODB` */
  endpoint: string;
  tableName: string;
  /**
   * A client configuration for it: the endpoint, a region, and dummy
   * credentials (dynalite checks none, the SDK must sign with something, and
   * real ones have no business being sent to a stand-in).
   */
  clientConfig: DynamoDBClientConfig;
  /** the folder the table is kept in; undefined: in memory */
  keptIn?: string;
  /** the folder asked for is in use by another process (its pid): this table is in memory instead */
  busyBy?: number;
  close(): Promise<void>;
}

const OWNER = 'owner.pid';

/** The pid of a live process other than this one that keeps its table in `dir`, if any (LevelDB admits one process). */
function ownerOf(dir: string): number | undefined {
  const file = path.join(dir, OWNER);
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, someone else's
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * `dir`: keep the table there (created if missing), unless another process
 * of ours keeps its table there now: then in memory, saying so in `busyBy`.
 */
export async function startLocalDynamo({ tableName, dir }: { tableName: string; dir?: string }): Promise<LocalDynamo> {
  const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;
  const busyBy = dir ? ownerOf(dir) : undefined;
  const keptIn = dir && busyBy === undefined ? dir : undefined;
  if (keptIn) {
    mkdirSync(path.join(keptIn, 'leveldb'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(keptIn, OWNER), `${process.pid}\n`);
  }
  // tables become ACTIVE at once; without `path`, in memory
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(keptIn ? { path: path.join(keptIn, 'leveldb') } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientConfig: DynamoDBClientConfig = {
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // keep-alive sockets of clients that were never destroyed would hold close() open
      server.closeAllConnections();
    }).finally(() => {
      if (keptIn && ownerOf(keptIn) === undefined) rmSync(path.join(keptIn, OWNER), { force: true });
    });

  const client = new DynamoDBClient(clientConfig);
  try {
    // a kept table is there already from the last run
    await client.send(new CreateTableCommand(createTableInput(tableName))).catch((err: unknown) => {
      if (!(keptIn && (err as { name?: string }).name === 'ResourceInUseException')) throw err;
    });
    for (let i = 0; ; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      if (i >= 200) throw new Error(`local table ${tableName} is still ${Table?.TableStatus}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (err) {
    await close().catch(() => {});
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, tableName, clientConfig, close, ...(keptIn ? { keptIn } : {}), ...(busyBy !== undefined ? { busyBy } : {}) };
}
