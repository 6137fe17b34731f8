import type pg from 'pg';
import { foldName } from '../ledger/index.ts';
import { type AggregateWindow, type Scope, scopeFilter } from './dora-aggregates.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';
import { sqlOf } from './postgres-pool.ts';

const DAY_MS = 86_400_000;

/** One environment's days of a window from the `dora_day` rollup, as text (dora-rollup-days.ts reads it). */
export interface RollupEnvironment {
  repository: string;
  environment: string;
  days: string;
}

/**
 * Recomputes the days writers marked since the last refresh (the triggers on `deployment` mark
 * them in the writer's transaction); returns how many days it recomputed.
 */
export async function refreshDoraRollups(prisma: PrismaClient): Promise<number> {
  const [row] = await prisma.$queryRaw<Array<{ refreshed: number }>>`SELECT dora_refresh() AS refreshed`;
  return row?.refreshed ?? 0;
}

/**
 * After a bulk write (import): fresh planner statistics first (the refresh probes the
 * environments' indexes and a table that grew by millions would be planned as if empty), then the
 * refresh.
 */
export async function refreshAfterBulk(prisma: PrismaClient): Promise<number> {
  await prisma.$executeRaw`ANALYZE deployment`;
  return refreshDoraRollups(prisma);
}

/**
 * The window's rows of `dora_day` as `x`. For a page's environments, one primary-key range per
 * environment (OFFSET 0 keeps the planner from turning it back into a scan of the window's days
 * of every environment, hashed against the page: 10× the rows read with 200 environments).
 */
function daysOf(scope: Scope, since: string, until: string): Prisma.Sql {
  if (!scope.environments)
    return Prisma.sql`dora_day x WHERE x.day >= ${since}::date AND x.day < ${until}::date ${scopeFilter('x', scope)}`;
  const { environments, ...rest } = scope;
  // DISTINCT: each environment once, as the IN list it replaces reads them.
  return Prisma.sql`(SELECT DISTINCT * FROM unnest(
      ARRAY[${Prisma.join(environments.map((e) => e.repositoryKey))}]::text[],
      ARRAY[${Prisma.join(environments.map((e) => e.environmentKey))}]::text[])) AS e(r, k)
    CROSS JOIN LATERAL (
      SELECT * FROM dora_day y
      WHERE y.repository_key = e.r AND y.environment_key = e.k AND y.day >= ${since}::date AND y.day < ${until}::date
      OFFSET 0) x
    WHERE true ${scopeFilter('x', rest)}`;
}

/**
 * The rollup days of a window made of whole UTC days, after a refresh: one row per environment in
 * scope, its days in order as text (the format dora-rollup-days.ts reads), whatever the number of
 * deployments in them.
 */
export async function rollupRows(
  prisma: PrismaClient,
  scope: Scope,
  window: AggregateWindow,
): Promise<RollupEnvironment[]> {
  if (scope.repositories?.length === 0 || scope.environments?.length === 0) return [];
  await refreshDoraRollups(prisma);
  const since = window.since.toISOString().slice(0, 10);
  const until = window.until.toISOString().slice(0, 10);
  const bucketDays = window.bucketMs / DAY_MS;
  const list = (histogram: string, samples: string) =>
    Prisma.raw(`CASE WHEN x.${samples} > 0 THEN array_to_string(x.${histogram}, ',') ELSE '' END`);
  const query = Prisma.sql`
    SELECT x.repository_key AS repository, x.environment_key AS environment,
           string_agg(concat_ws(';',
             (x.day - ${since}::date) / ${bucketDays}::integer, x.deployments, x.failures, x.lead_samples,
             x.lead_exact::int, x.incidents, x.restored, x.restored_by_rollback, x.restore_exact::int,
             x.rework, x.rollbacks, x.after_failure,
             ${list('lead_histogram', 'lead_samples')}, ${list('restore_histogram', 'restored')}),
             '|' ORDER BY x.day) AS days
    FROM ${daysOf(scope, since, until)}
      AND (x.deployments > 0 OR x.failures > 0)
    GROUP BY x.repository_key, x.environment_key`;
  // Through the pool when there is one: Prisma decodes a long text several times slower.
  const sql = sqlOf(prisma);
  return sql
    ? sql.query<RollupEnvironment>(query.text, query.values)
    : prisma.$queryRaw<RollupEnvironment[]>(query);
}

/** For bulk writers (import): the triggers' mark per row, off for the transaction (one per environment instead: markDoraSince). */
export const DEFER_DORA_MARKS_SQL = "SELECT set_config('deployledger.dora_deferred', 'on', true)";

/**
 * For bulk writers that deferred the triggers' marks: one mark per environment, as the triggers
 * leave, from the earliest instant written (the refresh marks every day a change at or after it can
 * touch: migration 20261219000100_dora_marks_since).
 */
export async function markDoraSince(
  client: pg.PoolClient,
  written: Array<{ repository: string; environment: string; from: Date }>,
): Promise<void> {
  if (!written.length) return;
  await client.query(
    `INSERT INTO dora_dirty_since (repository_key, environment_key, since, until)
     SELECT r, e, t, t FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(r, e, t)`,
    [
      // The folded names, as the key columns hold them (ledger/names.ts), in their collation.
      written.map((w) => foldName(w.repository)),
      written.map((w) => foldName(w.environment)),
      written.map((w) => w.from.toISOString()),
    ],
  );
}

/**
 * Marks every day with a success or a failure, and every day that has a rollup row (a row for a
 * day left with neither must be recomputed to zeros, not kept): what `deployledger repair --dora`
 * recomputes.
 */
export async function markAllDoraDays(prisma: PrismaClient): Promise<number> {
  return prisma.$executeRaw(Prisma.sql`
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT repository_key, environment_key,
           (COALESCE(deployed_at, completed_at) AT TIME ZONE 'UTC')::date
    FROM deployment
    WHERE deployed_at IS NOT NULL OR (state IN ('failure', 'error') AND completed_at IS NOT NULL)
    UNION
    SELECT repository_key, environment_key, day FROM dora_day`);
}
