/**
 * The state table's shape, from the one file serverless.yml deploys
 * (`infra/state-table.json`, included as the `StateTable` resource's
 * Properties). The code reads the same file at build time, so the local
 * stand-in and the tests have exactly the deployed keys and indexes.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import definition from '../../../infra/state-table.json' with { type: 'json' };

export interface StateTableDefinition {
  /** a Serverless variable in the file (`${self:custom.stateTableName}`): the deployed name comes from STATE_TABLE */
  TableName: string;
  BillingMode: 'PAY_PER_REQUEST';
  AttributeDefinitions: Array<{ AttributeName: string; AttributeType: 'S' | 'N' | 'B' }>;
  KeySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  GlobalSecondaryIndexes: Array<{
    IndexName: string;
    KeySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }>;
  TimeToLiveSpecification: { AttributeName: string; Enabled: boolean };
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: boolean };
  /** a stage parameter in the file (`${param:stateTableDeletionProtection}`): false on dev only */
  DeletionProtectionEnabled: boolean | string;
}

/** Attribute names the code relies on; `tableDefinition()`'s test checks they match the file. */
export const KEY = { pk: 'pk', sk: 'sk' } as const;
/** The one GSI, sparse: only items that set `gsi1pk` are in it (pending approvals by expiry). */
export const GSI1 = { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' } as const;
/** The TTL attribute: epoch seconds, housekeeping only (DynamoDB deletes lazily, up to days late). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The deployed table's Properties, as written in infra/state-table.json (a fresh copy). */
export function tableDefinition(): StateTableDefinition {
  return structuredClone(definition) as StateTableDefinition;
}

/**
 * A CreateTable request for a local stand-in (dynalite): the same keys,
 * attribute definitions and indexes. TTL, point-in-time recovery and deletion
 * protection are dropped: dynalite implements none of them, and the code
 * never relies on them (expiry is checked on read).
 */
export function createTableInput(name: string): CreateTableCommandInput {
  const d = tableDefinition();
  return {
    TableName: name,
    BillingMode: d.BillingMode,
    AttributeDefinitions: d.AttributeDefinitions,
    KeySchema: d.KeySchema,
    GlobalSecondaryIndexes: d.GlobalSecondaryIndexes,
  };
}

/**
 * The Powertools Idempotency persistence options that put its records in this
 * table: `new DynamoDBPersistenceLayer({ tableName, ...IDEMPOTENCY_ATTRIBUTES })`.
 *
 * - `keyAttr: 'pk'`, `sortKeyAttr: 'sk'`: the table has a composite key, so
 *   Powertools writes `pk = staticPkValue` and `sk = <function>#<hash>`.
 * - `staticPkValue: 'IDEMPOTENCY'`: our own prefix; Powertools' default
 *   (`idempotency#<function name>`) is fixed when the layer is constructed.
 * - `expiryAttr: 'expiresAt'`: Powertools writes its expiry in epoch seconds,
 *   the format DynamoDB TTL reads, so the table's TTL collects its records
 *   too; Powertools itself treats a record past it as absent, as we do.
 * The other attributes keep Powertools' names (`status`,
 * `in_progress_expiration`, `data`, `validation`); none of ours use them.
 */
export const IDEMPOTENCY_ATTRIBUTES = {
  keyAttr: KEY.pk,
  sortKeyAttr: KEY.sk,
  staticPkValue: 'IDEMPOTENCY',
  expiryAttr: TTL_ATTRIBUTE,
} as const;
