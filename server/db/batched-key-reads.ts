import { foldName } from '../ledger/index.ts';
import { readByKey } from './conditional-writes.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { type DeploymentSqlRow, fromSqlRow, type SqlRunner, type VersionedRecord } from './deployment-sql.ts';
import { type GroupCommitOptions, groupCommit } from './group-commit.ts';
import { tripleOf } from './stored-keys.ts';

// Replays read their record by key (replayAtOnce). Each read is a round trip, and PostgreSQL
// spends far more on a statement than on its row, so reads share statements in the queue writes
// use (group-commit.ts): while `parallel` reads are in flight, the reads that arrive wait and go
// together in the next statement, one row per key. Unlike writes, reads of one key share it
// (sameKey 'share'): every reader waiting when the statement begins gets the row as stored then —
// after it arrived, never a copy kept from before. No transaction, no lock: a plain indexed read.

/** The record stored under the key (readByKey's contract), however the statement is shared. */
export type KeyReader = (
  repository: string,
  environment: string,
  key: string,
) => Promise<VersionedRecord | null>;

interface WantedKey {
  repository: string;
  environment: string;
  key: string;
}

// One index probe per key on the unique index (repository_key, environment_key, key): the LIMIT
// keeps the lateral read from being flattened into a join that a generic plan (which guesses the
// arrays' length) may answer with a scan of the whole table.
const BY_KEYS = `SELECT found.*, wanted.ord AS read_ord
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS wanted(r, e, k, ord)
  CROSS JOIN LATERAL (SELECT ${RECORD_SELECT} FROM deployment
    WHERE repository_key = wanted.r AND environment_key = wanted.e AND key = wanted.k LIMIT 1) found`;

/** The records stored under several keys (names folded), in their order; null where none. */
export async function readManyByKey(sql: SqlRunner, keys: WantedKey[]): Promise<(VersionedRecord | null)[]> {
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
  options: GroupCommitOptions = { parallel: 4, maxBatch: 64 },
): KeyReader {
  const read = groupCommit<WantedKey, VersionedRecord | null>(
    {
      alone: ({ repository, environment, key }) => readByKey(sql, repository, environment, key),
      together: (keys) => readManyByKey(sql, keys),
      keyOf: ({ repository, environment, key }) => tripleOf(repository, environment, key),
      sameKey: 'share',
    },
    options,
  );
  return (repository, environment, key) => read({ repository, environment, key });
}
