import { EVENT_ITEM_PARAMETERS, eventValues } from './conditional-writes.ts';
import type { SqlRunner, VersionedRecord } from './deployment-sql.ts';
import { environmentLockName, LOCK_IN_ORDER_SQL, lockNamesInOrder } from './environment-lock.ts';
import { groupCommit, WRITE_STATEMENTS } from './group-commit.ts';
import type { TimelineEntry } from './timeline.ts';

// A decision that leaves its record as it was (Decision.changed false: a repeated or late report
// that carries nothing new) only adds its timeline event: the row is not rewritten. The event is
// written only while the record is still at the version decided on, as updateDecided's row is:
// - the environments' locks come first, as every writer of them takes them, so no event lands in
//   the middle of a locked path's read-decide-write (repair moves a record's events, then deletes it);
// - FOR KEY SHARE re-reads a row that a writer changed after this statement's snapshot (READ
//   COMMITTED rechecks the version on the row's newest copy), so a stale decision writes nothing;
// - a record deleted meanwhile fails the event's foreign key: not written either.

export interface AppendItem {
  /** The record as decided on: the event is written only if it is still at this version. */
  read: VersionedRecord;
  event: TimelineEntry;
}

// The per-item parameters: the record's id and version, then the event's fields (no outbox jobs:
// a decision with jobs to send is written by updateDecided).
const ITEM_PARAMETERS: Array<[string, string]> = [
  ['x_id', 'uuid'],
  ['x_version', 'integer'],
  ...EVENT_ITEM_PARAMETERS,
];

const unnest = ITEM_PARAMETERS.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
const names = ITEM_PARAMETERS.map(([name]) => name).join(', ');

// $1: the environments' lock names (LOCK_IN_ORDER_SQL's parameter); then the items' arrays.
const SQL = `WITH items AS (SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS i(${names}, x_ord)),
  lock AS (${LOCK_IN_ORDER_SQL}),
  k AS (SELECT d.id, i.x_ord FROM lock, items i JOIN deployment d ON d.id = i.x_id
        WHERE d.version = i.x_version FOR KEY SHARE OF d),
  e AS (INSERT INTO deployment_event
          (deployment_id, source, state, applied, reason, detail, occurred_at, received_at)
        SELECT k.id, i.x_source, i.x_state, i.x_applied, i.x_reason, i.x_detail, i.x_occurred, i.x_received
        FROM k JOIN items i ON i.x_ord = k.x_ord ORDER BY i.x_ord)
  SELECT x_ord::int AS ord FROM k`;

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The items' events, for distinct records, in one statement: for each item in order, whether it
 * was written (false: the record changed or went away since it was read; decide again).
 */
export async function appendEvents(sql: SqlRunner, items: AppendItem[]): Promise<boolean[]> {
  const locks = lockNamesInOrder(
    items.map(({ read: { record } }) => environmentLockName(record.repository, record.environment)),
  );
  const columnsOf = items.map(({ read, event }) => [read.record.id, read.version, ...eventValues(event)]);
  const parameters = ITEM_PARAMETERS.map((_, p) => columnsOf.map((row) => row[p]));
  try {
    const rows = await sql.query<{ ord: number }>(SQL, [locks, ...parameters], 'deployment_event_append');
    const written = new Set(rows.map((row) => Number(row.ord)));
    return items.map((_, i) => written.has(i + 1));
  } catch (error) {
    // A record deleted (merged by repair) after this statement read it: nothing was written.
    if (items.length === 1 && (error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return [false];
    throw error;
  }
}

/** Writes an unchanged record's event unless the record changed since it was read. */
export type Appender = (item: AppendItem) => Promise<boolean>;

/** Group commit for appends (group-commit.ts): each record at most once per statement. */
export function appendBatcher(sql: SqlRunner): Appender {
  return groupCommit<AppendItem, boolean>(
    {
      alone: async (item) => (await appendEvents(sql, [item]))[0] === true,
      together: (items) => appendEvents(sql, items),
      keyOf: ({ read }) => read.record.id,
      sameKey: 'alone',
    },
    WRITE_STATEMENTS,
  );
}
