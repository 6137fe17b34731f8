import { type DeploymentKind, foldName, type KindFacts } from '../ledger/index.ts';
import type { Db } from './deployments.ts';
import { environmentLockKeySql, environmentLockName, environmentLockSql } from './environment-lock.ts';

// What a record's kind is decided on (ledger/kind.ts), read where the record is opened, and the
// kind GitHub's compare refines, written under the environment's lock.

/**
 * The SQL that takes the environment's lock and then reads the kind facts under it (the function
 * of migration 20261212000100: its reads see what the lock's previous holder committed, even in a
 * statement that began before the lock was free). Yields one row (current_sha, deployed_before);
 * the arguments are SQL: the lock's name (environmentLockName), the folded names and the sha.
 */
export function lockedKindFactsSql(lockName: string, repository: string, environment: string, sha: string) {
  return `deployment_locked_kind_facts(${environmentLockKeySql(lockName)}, ${repository}, ${environment}, ${sha})`;
}

/**
 * lockedKindFactsSql for a batch in one call (migration 20261217000100): a relation of (ord,
 * current_sha, deployed_before), one row per item of `items` (SQL: a relation and its condition),
 * the locks taken in `ord` order. The other arguments are SQL naming the items' columns.
 */
export function lockedKindFactsBatchSql(
  items: string,
  columns: Record<'ord' | 'lockName' | 'repository' | 'environment' | 'sha', string>,
): string {
  const array = (column: string) => `array_agg(${column} ORDER BY ${columns.ord})`;
  return `(SELECT f.* FROM (SELECT ${array(columns.ord)} AS ords, ${array(environmentLockKeySql(columns.lockName))} AS locks,
            ${array(columns.repository)} AS rs, ${array(columns.environment)} AS es, ${array(columns.sha)} AS shas
          FROM ${items}) b,
          LATERAL deployment_locked_kind_facts_batch(b.ords, b.locks, b.rs, b.es, b.shas) f)`;
}

export type KindFactsRow = { current_sha: string | null; deployed_before: boolean };

export const toFacts = (row: KindFactsRow | undefined): KindFacts => ({
  currentSha: row?.current_sha ?? null,
  deployedBefore: row?.deployed_before ?? false,
});

/** The kind facts for a record about to open, on a locked path (its lock is taken again: a no-op). */
export async function findKindFacts(
  db: Db,
  repository: string,
  environment: string,
  sha: string,
): Promise<KindFacts> {
  const [row] = await db.$queryRawUnsafe<KindFactsRow[]>(
    `SELECT * FROM ${lockedKindFactsSql('$1', '$2', '$3', '$4')}`,
    environmentLockName(repository, environment),
    foldName(repository),
    foldName(environment),
    sha,
  );
  return toFacts(row);
}

/**
 * Which of `shas` (lowered) reached success in the environment before: one statement for a batch
 * (import, deliveries), each sha a probe of the sha-deployed index.
 */
export async function findDeployedShas(
  db: Db,
  repository: string,
  environment: string,
  shas: string[],
): Promise<Set<string>> {
  if (shas.length === 0) return new Set();
  const rows = await db.$queryRawUnsafe<Array<{ sha: string }>>(
    `SELECT DISTINCT lower(sha) AS sha FROM deployment
     WHERE repository_key = $1 AND environment_key = $2
       AND lower(sha) = ANY($3::text[]) AND deployed_at IS NOT NULL`,
    foldName(repository),
    foldName(environment),
    [...new Set(shas.map((sha) => sha.toLowerCase()))],
  );
  return new Set(rows.map((row) => row.sha));
}

/**
 * Writes the kind GitHub's compare decided, under the environment's lock (so a locked writer that
 * read the record before does not write the old kind back; the fast path's row version catches
 * it). False when the record is gone.
 */
export async function writeKind(
  db: Db,
  record: { id: string; repository: string; environment: string },
  kind: DeploymentKind,
): Promise<boolean> {
  const [row] = await db.$queryRawUnsafe<Array<{ written: number }>>(
    `WITH lock AS (SELECT ${environmentLockSql('$1')}),
     u AS (UPDATE deployment SET kind = $3 FROM lock WHERE id = $2::uuid RETURNING id)
     SELECT count(*)::int AS written FROM u`,
    environmentLockName(record.repository, record.environment),
    record.id,
    kind,
  );
  return row?.written === 1;
}
