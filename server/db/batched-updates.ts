import {
  FOLLOWER_ITEM_PARAMETERS,
  followerValues,
  type UpdateItem,
  updateDecided,
} from './conditional-writes.ts';
import { columnName, columnType, DECIDED_FIELDS } from './deployment-columns.ts';
import { type SqlRunner, valuesOf } from './deployment-sql.ts';
import { environmentLockName, LOCK_IN_ORDER_SQL, lockNamesInOrder } from './environment-lock.ts';
import { groupCommit, WRITE_STATEMENTS } from './group-commit.ts';
import { insertJobsSql } from './outbox.ts';

// Several decided records written in one statement, so one transaction and one commit (one WAL
// flush, one round trip) carry them all. Each item is updateDecided's statement for one row, with
// the same condition: the row is still at the version the decision was made on. The statement
// first takes the environments' locks, each once, in the one order every writer holding several
// takes them (lockNamesInOrder), so it never writes in the middle of a locked path's
// read-decide-write and two batches never wait on each other in a cycle. The items must be for
// distinct records: a second one for the same row would have been decided on a stale version.

// The per-item parameters (arrays, one element per item), in order: name, SQL element type.
const ITEM_PARAMETERS: Array<[string, string]> = [
  ['x_id', 'uuid'],
  ['x_version', 'integer'],
  ...DECIDED_FIELDS.map((name, i): [string, string] => [`c_${i}`, columnType(name)]),
  ...FOLLOWER_ITEM_PARAMETERS,
];

const unnest = ITEM_PARAMETERS.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
const names = ITEM_PARAMETERS.map(([name]) => name).join(', ');
const assignments = DECIDED_FIELDS.map((field, i) => `${columnName(field)} = i.c_${i}`).join(', ');
const WRITTEN = 'u JOIN items i ON i.x_ord = u.x_ord';

// $1: the environments' lock names (LOCK_IN_ORDER_SQL's parameter); then the items' arrays.
const SQL = `WITH items AS (SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS i(${names}, x_ord)),
  lock AS (${LOCK_IN_ORDER_SQL}),
  u AS (UPDATE deployment d SET ${assignments} FROM items i, lock
        WHERE d.id = i.x_id AND d.version = i.x_version RETURNING d.id, i.x_ord),
  e AS (INSERT INTO deployment_event
          (deployment_id, source, state, applied, reason, detail, occurred_at, received_at)
        SELECT u.id, i.x_source, i.x_state, i.x_applied, i.x_reason, i.x_detail, i.x_occurred, i.x_received
        FROM ${WRITTEN} ORDER BY i.x_ord),
  o AS (${insertJobsSql('i.x_jobs', { table: WRITTEN, deploymentIdSql: 'u.id' })})
  SELECT x_ord::int AS ord FROM u`;

/**
 * updateDecided for several records, each once, in one statement: for each item in `items`'
 * order, whether it was written (false: another writer changed the record since it was read).
 */
export async function updateMany(sql: SqlRunner, items: UpdateItem[]): Promise<boolean[]> {
  const locks = lockNamesInOrder(
    items.map(({ read: { record } }) => environmentLockName(record.repository, record.environment)),
  );
  const columnsOf = items.map(({ read, record, event, jobs }) => [
    read.record.id,
    read.version,
    ...valuesOf(record, DECIDED_FIELDS),
    ...followerValues(event, jobs),
  ]);
  const parameters = ITEM_PARAMETERS.map((_, p) => columnsOf.map((row) => row[p]));
  const rows = await sql.query<{ ord: number }>(SQL, [locks, ...parameters], 'deployment_update_many');
  const written = new Set(rows.map((row) => Number(row.ord)));
  return items.map((_, i) => written.has(i + 1));
}

/** Writes a decided record unless changed since (updateDecided's contract), however the statement is shared. */
export type Updater = (item: UpdateItem) => Promise<boolean>;

/** Group commit for status reports (group-commit.ts): each record at most once per statement. */
export function updateBatcher(sql: SqlRunner): Updater {
  return groupCommit<UpdateItem, boolean>(
    {
      alone: (item) => updateDecided(sql, item),
      together: (items) => updateMany(sql, items),
      keyOf: ({ read }) => read.record.id,
      sameKey: 'alone',
    },
    WRITE_STATEMENTS,
  );
}
