/**
 * The bot's state table (infra/state-table.json) as every store on it sees
 * it: the document client, the clock, the TTL attribute read as "absent" once
 * past (DynamoDB deletes lazily), paging, and items that fail their schema
 * reported and skipped, never trusted. The item layout is in dynamo-state.ts.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { Clock } from '../../ports.js';
import { TTL_ATTRIBUTE } from './state-table.js';

/**
 * A document client for the state table. The SDK takes the endpoint from
 * `AWS_ENDPOINT_URL_DYNAMODB` by itself (or `AWS_ENDPOINT_URL`), which is
 * how the tests and the local runner reach dynalite.
 */
export function createStateClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } });
}

/** An item that failed its schema on read: skipped, never trusted. */
export interface MalformedItem {
  pk: string;
  sk: string;
  reason: string;
}

export interface StateTableOptions {
  clock?: Clock;
  /** told about each item skipped because it failed its schema */
  onMalformed?: (item: MalformedItem) => void;
}

export const DAY_SECONDS = 86_400;
export const epochSeconds = (ms: number) => Math.ceil(ms / 1000);
export const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ');

export type Item = Record<string, unknown>;

export abstract class StateTable {
  protected readonly clock: Clock;
  private readonly onMalformed: (item: MalformedItem) => void;

  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    protected readonly tableName: string,
    opts: StateTableOptions = {},
  ) {
    this.clock = opts.clock ?? { now: () => new Date() };
    this.onMalformed = opts.onMalformed ?? (() => {});
  }

  /**
   * Every item of a query, page by page; `each` may stop it early by
   * returning false.
   */
  protected async queryAll(input: QueryCommandInput, each?: (item: Item) => boolean): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        items.push(item);
        if (each && !each(item)) return items;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  protected expired(item: Item, nowSeconds: number): boolean {
    const exp = item[TTL_ATTRIBUTE];
    return typeof exp === 'number' && exp <= nowSeconds;
  }

  protected report(item: Item, reason: string): void {
    this.onMalformed({ pk: String(item['pk']), sk: String(item['sk']), reason });
  }
}
