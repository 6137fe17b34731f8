import type pg from 'pg';
import { ACTIVE_STATES, foldName, isActive } from '../ledger/index.ts';
import { writeBatches } from './bulk-write.ts';
import type { Database } from './database.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { DEFER_DORA_MARKS_SQL, markDoraSince } from './dora-rollups.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import { environmentLockName, LOCK_IN_ORDER_SQL, lockNamesInOrder } from './environment-lock.ts';
import type { Deployment } from './generated/client.ts';
import { toRecord } from './records.ts';

/** One environment of a bulk batch: the keys it may open and the shas they deploy. */
export interface BatchScope {
  repository: string;
  environment: string;
  keys: string[];
  shas: string[];
}

// The records a signal can still change: the active one and the successes (auto-inactive).
const CHANGEABLE_SQL = `SELECT ${RECORD_SELECT} FROM deployment
  WHERE (repository_key, environment_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    AND state IN (${[...ACTIVE_STATES, 'success'].map((state) => `'${state}'`).join(', ')})`;

const STORED_KEYS_SQL = `SELECT w.r, w.e, w.k FROM unnest($1::text[], $2::text[], $3::text[]) AS w(r, e, k)
  WHERE EXISTS (SELECT 1 FROM deployment d
                WHERE d.repository_key = w.r AND d.environment_key = w.e AND d.key = w.k)`;

// Of the shas the batch may open, those that reached success here before (deployment-kind.ts).
const DEPLOYED_SHAS_SQL = `SELECT w.r, w.e, w.sha FROM unnest($1::text[], $2::text[], $3::text[]) AS w(r, e, sha)
  WHERE EXISTS (SELECT 1 FROM deployment d
                WHERE d.repository_key = w.r AND d.environment_key = w.e
                  AND lower(d.sha) = w.sha AND d.deployed_at IS NOT NULL)`;

const scopeKey = (repositoryKey: string, environmentKey: string) => `${repositoryKey}\n${environmentKey}`;

/** (repository key, environment key, value) columns for unnest, one row per value of each scope. */
function triples(scopes: BatchScope[], values: (scope: BatchScope) => Iterable<string>): string[][] {
  const columns: string[][] = [[], [], []];
  for (const scope of scopes)
    for (const value of new Set(values(scope))) {
      columns[0]?.push(foldName(scope.repository));
      columns[1]?.push(foldName(scope.environment));
      columns[2]?.push(value);
    }
  return columns;
}

/** `items` grouped by their environment's key. */
function grouped<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The values of (r, e, value) rows by their environment. */
function byScope(rows: Array<{ r: string; e: string; [value: string]: string }>, value: string) {
  const groups = grouped(rows, (row) => scopeKey(row.r, row.e));
  return new Map([...groups].map(([key, list]) => [key, list.map((row) => row[value] as string)]));
}

/**
 * Bulk maintenance work (import) on several environments at once: in one transaction holding
 * their locks, as LedgerStore.inEnvironment does for one, the records a signal can still change
 * are read once (the active one, the successes), with which of the scopes' keys are stored and
 * which of their shas succeeded there before (for the kind of what they open); `work` decides
 * every signal through the core in memory (one EnvironmentBatch per scope, in scope order), and
 * the outcome is written in a few statements (bulk-write.ts). The DORA triggers' marks are
 * deferred and made once for the whole transaction (dora-rollups.ts).
 */
export async function withEnvironmentBatches<T>(
  db: Pick<Database, 'kind' | 'withClient'>,
  scopes: BatchScope[],
  work: (batches: EnvironmentBatch[]) => T,
): Promise<T> {
  return db.withClient(async (client) => {
    await client.query('BEGIN');
    try {
      // Every statement here probes a few environments through their indexes. Planned with the
      // statistics of a table that this import is growing from empty, they would read it whole.
      await client.query('SET LOCAL enable_seqscan = off');
      const result = await inTransaction(client, db.kind, scopes, work);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  });
}

async function inTransaction<T>(
  client: pg.PoolClient,
  kind: Database['kind'],
  scopes: BatchScope[],
  work: (batches: EnvironmentBatch[]) => T,
): Promise<T> {
  const names = scopes.map((s) => environmentLockName(s.repository, s.environment));
  await client.query(LOCK_IN_ORDER_SQL, [lockNamesInOrder(names)]);
  const environments = [
    scopes.map((s) => foldName(s.repository)),
    scopes.map((s) => foldName(s.environment)),
  ];
  const stored = grouped((await client.query<Deployment>(CHANGEABLE_SQL, environments)).rows, (row) =>
    scopeKey(row.repositoryKey, row.environmentKey),
  );
  const keys = byScope(
    (
      await client.query(
        STORED_KEYS_SQL,
        triples(scopes, (s) => s.keys),
      )
    ).rows,
    'k',
  );
  const shas = byScope(
    (
      await client.query(
        DEPLOYED_SHAS_SQL,
        triples(scopes, (s) => s.shas.map((sha) => sha.toLowerCase())),
      )
    ).rows,
    'sha',
  );
  const batches = scopes.map((scope) => {
    const key = scopeKey(foldName(scope.repository), foldName(scope.environment));
    const records = (stored.get(key) ?? []).map(toRecord);
    return new EnvironmentBatch(
      records.filter((record) => isActive(record.state) || record.state === 'success'),
      [...records.map((record) => record.key), ...(keys.get(key) ?? [])],
      shas.get(key) ?? [],
    );
  });
  const result = work(batches);
  await client.query(DEFER_DORA_MARKS_SQL);
  await writeBatches(client, kind, batches);
  const written = scopes.flatMap((scope, i) => {
    const from = earliestTime(batches[i] as EnvironmentBatch);
    return from ? [{ repository: scope.repository, environment: scope.environment, from }] : [];
  });
  await markDoraSince(client, written);
  return result;
}

/** The earliest time a record the batch writes counts at in DORA (null: it writes none). */
function earliestTime(batch: EnvironmentBatch): Date | null {
  let earliest: number | null = null;
  for (const id of [...batch.changed, ...batch.opened]) {
    const record = batch.records.get(id);
    // Changed records' earlier times too: created_at bounds both (legacy rows may say otherwise).
    for (const at of [record?.createdAt, record?.deployedAt, record?.completedAt])
      if (at && (earliest === null || at.getTime() < earliest)) earliest = at.getTime();
  }
  return earliest === null ? null : new Date(earliest);
}
