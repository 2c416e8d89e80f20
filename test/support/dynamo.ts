/** Helpers for the tests of the stores on the state table (dynalite, the real SDK). */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, vi } from 'vitest';
import { createStateClient, type MalformedItem, type StateTableOptions } from '../../src/adapters/aws/dynamo-table.js';
import { startLocalDynamo, type LocalDynamo } from '../../src/adapters/local/local-dynamo.js';

/** a clock the test moves */
export function clockAt(iso: string) {
  let now = new Date(iso).getTime();
  return {
    now: () => new Date(now),
    set: (at: string) => void (now = new Date(at).getTime()),
    advance: (ms: number) => void (now += ms),
  };
}

/** a document client on the local table, and the names and inputs of the commands sent through it */
export function spiedClient(local: LocalDynamo) {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = createStateClient(local.clientConfig);
  const send = client.send.bind(client);
  vi.spyOn(client, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return send(command as never);
  }) as never);
  return { client, sent };
}

let seq = 0;
export const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * A dynalite table for one test file (started before, closed after), and a
 * `store(opts)` that makes the store under test on it with a spied client:
 * the store, the commands it sent, and the items it reported as malformed.
 */
export function localStateTable<S, O extends StateTableOptions>(tableName: string, make: (doc: DynamoDBDocumentClient, table: string, opts: O) => S) {
  let local: LocalDynamo | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    local = await startLocalDynamo({ tableName });
    doc = createStateClient(local.clientConfig);
  });
  afterAll(async () => {
    doc?.destroy();
    await local?.close();
  });
  return {
    get local() {
      return local!;
    },
    get doc() {
      return doc!;
    },
    store(opts?: O) {
      const malformed: MalformedItem[] = [];
      const { client, sent } = spiedClient(local!);
      const s = make(client, tableName, { onMalformed: (m: MalformedItem) => malformed.push(m), ...opts } as O);
      return { s, sent, malformed };
    },
  };
}
