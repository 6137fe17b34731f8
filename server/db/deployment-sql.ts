import { ACTIVE_STATES, type DeploymentRecord } from '../ledger/index.ts';
import { sqlParameter, type WrittenField } from './deployment-columns.ts';
import type { Deployment } from './generated/client.ts';
import { toRecord, toRow } from './records.ts';

/**
 * The core's active states as a SQL list (`state IN (${ACTIVE_STATES_SQL})`; in a tagged
 * `$queryRaw`, through `Prisma.raw`), so SQL never retypes them.
 */
export const ACTIVE_STATES_SQL = ACTIVE_STATES.map((state) => `'${state}'`).join(', ');

/** Runs one SQL statement on the pool (node-postgres): the hot paths skip Prisma's per-query cost. */
export interface SqlRunner {
  /**
   * `name`: prepare the statement once per connection under this name and reuse its plan (the
   * hot statements; only for a text that never changes under that name).
   */
  query<R>(text: string, params: unknown[], name?: string): Promise<R[]>;
}

/** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export type InTransaction = <T>(work: (sql: SqlRunner) => Promise<T>) => Promise<T>;

export type DeploymentSqlRow = Deployment;

/** A stored record and the row version it was read at (for a conditional write). */
export interface VersionedRecord {
  record: DeploymentRecord;
  version: number;
}

export function fromSqlRow(row: DeploymentSqlRow): VersionedRecord {
  return { version: row.version, record: toRecord(row) };
}

/** The record's values for `fields`, as SQL parameters, in their order. */
export function valuesOf(record: DeploymentRecord, fields: readonly WrittenField[]): unknown[] {
  const row = toRow(record);
  return fields.map((field) => sqlParameter(field, row[field]));
}
