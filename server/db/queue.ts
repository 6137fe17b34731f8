import type { SqlRunner } from './deployment-sql.ts';

/**
 * A table worked as a queue, in one vocabulary (graphile-worker's src/sql/ is the model):
 * `run_at` — eligible from; `locked_by` — the worker holding it; `locked_until` — the end of
 * that worker's lease (a worker that dies loses its rows when it passes); `attempts` — claims
 * so far; `last_error` — why the last attempt failed (or why it was given up); `done_at` —
 * finished, whether applied, given up or kept as unprocessable (a done row is never claimed).
 */
export interface QueueTable {
  table: 'outbox_job' | 'webhook_delivery';
  /** The key column and its type; keys travel as text whatever their type. */
  id: string;
  idType: 'bigint' | 'text';
  /** The claim order, in columns of the table. */
  order: string;
  /** A further condition to be claimed, on the row aliased `q`. */
  eligible?: string;
  /** What a claim returns (the order's columns included). */
  returning: string;
}

export interface ClaimOptions {
  worker: string;
  limit: number;
  leaseMs: number;
  /** Rows claimed this many times are left alone (dead letters); unlimited when absent. */
  maxAttempts?: number;
}

/** The lease is free: nobody holds the row, or its holder's lease ran out. */
export const LEASE_FREE = '(locked_until IS NULL OR locked_until < now())';

// run_at is kept to the millisecond, rounded (timestamptz(3)): a row stored by its default
// now() in the second half of a millisecond holds an instant just after that now(). Compared
// at the column's own precision, a row stored at or before this instant is due.
const DUE = 'q.run_at <= now()::timestamptz(3)';

const claimSql = (q: QueueTable) => `WITH claimed AS (
    UPDATE ${q.table} SET locked_by = $1, locked_until = now() + make_interval(secs => $2),
      attempts = attempts + 1
    WHERE ${q.id} IN (
      SELECT ${q.id} FROM ${q.table} q
      WHERE q.done_at IS NULL AND ${DUE} AND ${LEASE_FREE}
        AND ($4::int IS NULL OR q.attempts < $4::int)${q.eligible ? ` AND ${q.eligible}` : ''}
      ORDER BY ${q.order}
      LIMIT $3
      FOR UPDATE SKIP LOCKED)
    RETURNING ${q.returning})
  SELECT * FROM claimed ORDER BY ${q.order}`;

/**
 * Claims up to `limit` eligible rows, in the queue's order, for `leaseMs`, in one statement:
 * rows another worker holds are skipped, not waited for.
 */
export function claim<R>(sql: SqlRunner, queue: QueueTable, options: ClaimOptions): Promise<R[]> {
  const { worker, limit, leaseMs, maxAttempts } = options;
  return sql.query<R>(claimSql(queue), [worker, leaseMs / 1000, limit, maxAttempts ?? null]);
}

/** The statement that finishes rows (`$1` their keys as text, `$2` the error or null). */
export function completeSql(queue: QueueTable): string {
  return `UPDATE ${queue.table}
    SET done_at = now(), locked_by = NULL, locked_until = NULL, last_error = left($2::text, 2000)
    WHERE ${queue.id} = ANY($1::${queue.idType}[])`;
}

/** Finishes rows; with `error`, they were given up and keep why. */
export async function complete(
  sql: SqlRunner,
  queue: QueueTable,
  ids: Array<string | bigint>,
  error: string | null = null,
): Promise<void> {
  if (ids.length) await sql.query(completeSql(queue), [ids.map(String), error]);
}

/** Hands a row back for another attempt, not before `runAt`, keeping why this one failed. */
export async function retry(
  sql: SqlRunner,
  queue: QueueTable,
  id: string | bigint,
  error: string,
  runAt: Date,
): Promise<void> {
  await sql.query(
    `UPDATE ${queue.table}
     SET run_at = $3::timestamptz, locked_by = NULL, locked_until = NULL, last_error = left($2::text, 2000)
     WHERE ${queue.id} = $1::${queue.idType}`,
    [String(id), error, runAt],
  );
}

/** Hands back every row a worker holds (at shutdown), so another worker takes them at once. */
export async function release(sql: SqlRunner, queue: QueueTable, worker: string): Promise<void> {
  await sql.query(
    `UPDATE ${queue.table} SET locked_by = NULL, locked_until = NULL
     WHERE locked_by = $1 AND done_at IS NULL`,
    [worker],
  );
}

/**
 * Extends, by `leaseMs` from now, the leases of the rows among `ids` a worker still holds: work
 * that outlasts a lease stays with its worker; a worker that died stops renewing, and its rows
 * go to another worker when the lease runs out.
 */
export async function renew(
  sql: SqlRunner,
  queue: QueueTable,
  worker: string,
  ids: string[],
  leaseMs: number,
): Promise<void> {
  await sql.query(
    `UPDATE ${queue.table} SET locked_until = now() + make_interval(secs => $3)
     WHERE ${queue.id} = ANY($2::${queue.idType}[]) AND locked_by = $1 AND done_at IS NULL`,
    [worker, ids, leaseMs / 1000],
  );
}
