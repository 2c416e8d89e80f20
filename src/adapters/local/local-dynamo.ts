/**
 * An in-process DynamoDB (dynalite, in memory) holding the state table, for
 * the tests and the local runner. Never imported by a Lambda's code: dynalite
 * is a dev dependency and stays out of the bundles.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
  close(): Promise<void>;
}

export async function startLocalDynamo({ tableName }: { tableName: string }): Promise<LocalDynamo> {
  const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;
  // no `path`: in memory; tables become ACTIVE at once
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
    });

  const client = new DynamoDBClient(clientConfig);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
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
  return { endpoint, tableName, clientConfig, close };
}
