import { foldName } from '../ledger/index.ts';
import { readByKey } from './conditional-writes.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { type DeploymentSqlRow, fromSqlRow, type SqlRunner, type VersionedRecord } from './deployment-sql.ts';
import { tripleOf } from './stored-keys.ts';

// Replays read their record by key (replayAtOnce). Each read is a round trip, and PostgreSQL
// spends far more on a statement than on its row, so reads work as group commit does for writes
// (group-commit.ts): while `parallel` reads are in flight, the reads that arrive wait and go
// together in the next statement, one row per key. Unlike writes, reads of one key share it:
// every reader waiting when the statement begins gets the row as stored then — after it arrived,
// never a copy kept from before. No transaction, no lock: a plain indexed read.

export interface KeyReadOptions {
  /** Statements in flight at once (of the pool's connections). */
  parallel: number;
  /** Distinct keys in one statement at most. */
  maxBatch: number;
}

/** The record stored under the key (readByKey's contract), however the statement is shared. */
export type KeyReader = (
  repository: string,
  environment: string,
  key: string,
) => Promise<VersionedRecord | null>;

interface Wanted {
  repository: string;
  environment: string;
  key: string;
  waiters: { resolve: (read: VersionedRecord | null) => void; reject: (error: unknown) => void }[];
}

// One index probe per key on the unique index (repository_key, environment_key, key): the LIMIT
// keeps the lateral read from being flattened into a join that a generic plan (which guesses the
// arrays' length) may answer with a scan of the whole table.
const BY_KEYS = `SELECT found.*, wanted.ord AS read_ord
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS wanted(r, e, k, ord)
  CROSS JOIN LATERAL (SELECT ${RECORD_SELECT} FROM deployment
    WHERE repository_key = wanted.r AND environment_key = wanted.e AND key = wanted.k LIMIT 1) found`;

/** The records stored under several keys (names folded), in their order; null where none. */
export async function readManyByKey(
  sql: SqlRunner,
  keys: { repository: string; environment: string; key: string }[],
): Promise<(VersionedRecord | null)[]> {
  const rows = await sql.query<DeploymentSqlRow & { read_ord: number | bigint }>(
    BY_KEYS,
    [
      keys.map(({ repository }) => foldName(repository)),
      keys.map(({ environment }) => foldName(environment)),
      keys.map(({ key }) => key),
    ],
    'deployment_by_keys',
  );
  const found: (VersionedRecord | null)[] = keys.map(() => null);
  for (const row of rows) found[Number(row.read_ord) - 1] = fromSqlRow(row);
  return found;
}

export function keyReader(
  sql: SqlRunner,
  options: KeyReadOptions = { parallel: 4, maxBatch: 64 },
): KeyReader {
  // Waiting reads by folded key, in arrival order (a Map keeps insertion order).
  const waiting = new Map<string, Wanted>();
  let inFlight = 0;

  const run = async (batch: Wanted[]): Promise<void> => {
    const [only] = batch;
    let reads: (VersionedRecord | null)[];
    try {
      reads =
        batch.length === 1 && only
          ? [await readByKey(sql, only.repository, only.environment, only.key)]
          : await readManyByKey(sql, batch);
    } catch (error) {
      // As group commit does: each key alone, so one key's error reaches that key's readers only.
      if (batch.length > 1) await Promise.all(batch.map((wanted) => run([wanted])));
      else for (const { reject } of only?.waiters ?? []) reject(error);
      return;
    }
    for (const [i, wanted] of batch.entries())
      for (const { resolve } of wanted.waiters) resolve(reads[i] ?? null);
  };

  const pump = () => {
    while (inFlight < options.parallel && waiting.size > 0) {
      const batch: Wanted[] = [];
      for (const [folded, wanted] of waiting) {
        if (batch.length === options.maxBatch) break;
        waiting.delete(folded);
        batch.push(wanted);
      }
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (repository, environment, key) =>
    new Promise((resolve, reject) => {
      const folded = tripleOf(repository, environment, key);
      let wanted = waiting.get(folded);
      if (!wanted) {
        wanted = { repository, environment, key, waiters: [] };
        waiting.set(folded, wanted);
      }
      wanted.waiters.push({ resolve, reject });
      pump();
    });
}
