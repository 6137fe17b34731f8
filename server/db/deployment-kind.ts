import { type DeploymentKind, foldName, type KindFacts } from '../ledger/index.ts';
import type { SqlRunner } from './deployment-sql.ts';
import type { Db } from './deployments.ts';
import { environmentLockName, environmentLockSql } from './environment-lock.ts';

// What a record's kind is decided on (ledger/kind.ts), read where the record is opened, and the
// kind GitHub's compare refines, written under the environment's lock.

/**
 * The environment's current deployment: its latest success, the one record GitHub's auto-inactive
 * leaves in `success` (found through the success index). Parameters: repository and environment key.
 */
function currentWhere(repository: string, environment: string): string {
  return `repository_key = ${repository} AND environment_key = ${environment} AND state = 'success'`;
}

/** Whether `sha` reached success in the environment before: a probe of the sha-deployed index. */
function deployedBeforeWhere(repository: string, environment: string, sha: string): string {
  return `repository_key = ${repository} AND environment_key = ${environment}
    AND lower(sha) = lower(${sha}) AND deployed_at IS NOT NULL`;
}

const KIND_FACTS_SQL = `SELECT (SELECT sha FROM deployment WHERE ${currentWhere('$1', '$2')}
         ORDER BY created_at DESC, id DESC LIMIT 1) AS current,
       EXISTS (SELECT 1 FROM deployment WHERE ${deployedBeforeWhere('$1', '$2', '$3')}) AS before`;

type KindFactsRow = { current: string | null; before: boolean };

const toFacts = (row: KindFactsRow | undefined): KindFacts => ({
  currentSha: row?.current ?? null,
  deployedBefore: row?.before ?? false,
});

/** The kind facts for a record about to open, in one statement (on a locked path, under its lock). */
export async function findKindFacts(
  db: Db,
  repository: string,
  environment: string,
  sha: string,
): Promise<KindFacts> {
  const [row] = await db.$queryRawUnsafe<KindFactsRow[]>(
    KIND_FACTS_SQL,
    foldName(repository),
    foldName(environment),
    sha,
  );
  return toFacts(row);
}

/** The same facts on the create's fast path (node-postgres): two index probes in one round trip. */
export async function readKindFacts(
  sql: SqlRunner,
  repository: string,
  environment: string,
  sha: string,
): Promise<KindFacts> {
  const [row] = await sql.query<KindFactsRow>(
    KIND_FACTS_SQL,
    [foldName(repository), foldName(environment), sha],
    'deployment_kind_facts',
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
