import type pg from 'pg';
import { foldName } from '../ledger/index.ts';
import { type AggregateWindow, type Scope, scopeFilter } from './dora-aggregates.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';

const DAY_MS = 86_400_000;

/**
 * One environment's UTC day from the `dora_day` rollup (migrations 20261211000200_dora_rollups, 20261211000800_dora_kind):
 * what the DORA figures of that day are made of. Histograms are [value, count, …] pairs: seconds
 * when `*_exact`, else `dora_bucket` numbers (server/dora/median.ts reads both).
 */
export interface RollupRow {
  repository: string;
  environment: string;
  /** The trend bucket the day falls into, counted from the window's first day. */
  bucket: number;
  deployments: number;
  failures: number;
  lead_samples: number;
  lead_histogram: number[];
  lead_exact: boolean;
  incidents: number;
  restored: number;
  restored_by_rollback: number;
  restore_histogram: number[];
  restore_exact: boolean;
  rework: number;
  rollbacks: number;
  after_failure: number;
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
 * The rollup rows of a window made of whole UTC days, after a refresh: one per environment in
 * scope and day, whatever the number of deployments in them.
 */
export async function rollupRows(
  prisma: PrismaClient,
  scope: Scope,
  window: AggregateWindow,
): Promise<RollupRow[]> {
  if (scope.repositories?.length === 0) return [];
  await refreshDoraRollups(prisma);
  const since = window.since.toISOString().slice(0, 10);
  const until = window.until.toISOString().slice(0, 10);
  const bucketDays = window.bucketMs / DAY_MS;
  // The histograms travel as text lists: a month of busy days over every environment is about a
  // million numbers, and the driver's generic array parser took most of the request's time.
  const rows = await prisma.$queryRaw<Array<Omit<RollupRow, 'lead_histogram' | 'restore_histogram'> & Lists>>`
    SELECT x.repository_key AS repository, x.environment_key AS environment,
           ((x.day - ${since}::date) / ${bucketDays}::integer)::integer AS bucket,
           x.deployments, x.failures, x.lead_samples,
           CASE WHEN x.lead_samples > 0 THEN array_to_string(x.lead_histogram, ',') END AS lead_list, x.lead_exact,
           x.incidents, x.restored, x.restored_by_rollback,
           CASE WHEN x.restored > 0 THEN array_to_string(x.restore_histogram, ',') END AS restore_list,
           x.restore_exact, x.rework, x.rollbacks, x.after_failure
    FROM dora_day x
    WHERE x.day >= ${since}::date AND x.day < ${until}::date ${scopeFilter('x', scope)}
      AND (x.deployments > 0 OR x.failures > 0)`;
  return rows.map((row) => ({
    repository: row.repository,
    environment: row.environment,
    bucket: row.bucket,
    deployments: row.deployments,
    failures: row.failures,
    lead_samples: row.lead_samples,
    lead_histogram: numbers(row.lead_list),
    lead_exact: row.lead_exact,
    incidents: row.incidents,
    restored: row.restored,
    restored_by_rollback: row.restored_by_rollback,
    restore_histogram: numbers(row.restore_list),
    restore_exact: row.restore_exact,
    rework: row.rework,
    rollbacks: row.rollbacks,
    after_failure: row.after_failure,
  }));
}

interface Lists {
  lead_list: string | null;
  restore_list: string | null;
}

const [COMMA, DOT, ZERO, NINE] = [44, 46, 48, 57];

/**
 * A list as PostgreSQL prints float8 values ("12,0.5,1300.25"), without a string per number: a
 * plain decimal of at most 15 digits is its digits over a power of ten, which is exactly what
 * Number() gives (both values are exact doubles, so the division rounds once); anything else (an
 * exponent, a sign, more digits) goes through Number().
 */
function numbers(list: string | null): number[] {
  const out: number[] = [];
  if (!list) return out;
  let start = 0;
  while (start <= list.length) {
    let end = start;
    let digits = 0;
    let mantissa = 0;
    let scale = -1;
    let plain = true;
    for (; end < list.length; end++) {
      const code = list.charCodeAt(end);
      if (code === COMMA) break;
      if (code >= ZERO && code <= NINE) {
        mantissa = mantissa * 10 + (code - ZERO);
        digits++;
        if (scale >= 0) scale++;
      } else if (code === DOT && scale < 0) scale = 0;
      else plain = false;
    }
    out.push(
      plain && digits > 0 && digits <= 15
        ? mantissa / 10 ** Math.max(scale, 0)
        : Number(list.slice(start, end)),
    );
    start = end + 1;
  }
  return out;
}

/** For bulk writers (import): the triggers' marking per row (migration 20261212000700), off for the transaction. */
export const DEFER_DORA_MARKS_SQL = "SELECT set_config('deployledger.dora_deferred', 'on', true)";

/**
 * For bulk writers that deferred the triggers' marks: marks, in one statement, every day of each
 * environment that a change at or after its `from` can touch: from the first failure of the run
 * `from` falls in (its incident's restore) to the environment's last day.
 */
export async function markDoraDaysFrom(
  client: pg.PoolClient,
  written: Array<{ repository: string; environment: string; from: Date }>,
): Promise<void> {
  if (!written.length) return;
  await client.query(
    `WITH env AS (
      SELECT v.r, v.e, v.t FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(r, e, t)
    ),
    span AS (
      SELECT env.r, env.e,
             LEAST(env.t, (SELECT min(f.completed_at) FROM deployment f
                           WHERE f.repository_key = env.r AND f.environment_key = env.e
                             AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
                             AND f.completed_at < env.t
                             AND f.completed_at >= COALESCE((
                               SELECT max(s.deployed_at) FROM deployment s
                               WHERE s.repository_key = env.r AND s.environment_key = env.e
                                 AND s.deployed_at < env.t), '-infinity'))) AS first,
             GREATEST(
               (SELECT max(d.deployed_at) FROM deployment d
                WHERE d.repository_key = env.r AND d.environment_key = env.e AND d.deployed_at IS NOT NULL),
               (SELECT max(d.completed_at) FROM deployment d
                WHERE d.repository_key = env.r AND d.environment_key = env.e
                  AND d.state IN ('failure', 'error'))) AS last
      FROM env
    )
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT span.r, span.e, g.day::date
    FROM span CROSS JOIN LATERAL generate_series((span.first AT TIME ZONE 'UTC')::date,
                                                 (span.last AT TIME ZONE 'UTC')::date, interval '1 day') AS g(day)
    WHERE span.last IS NOT NULL`,
    [
      // The folded names, as the key columns hold them (ledger/names.ts), in their collation.
      written.map((w) => foldName(w.repository)),
      written.map((w) => foldName(w.environment)),
      written.map((w) => w.from.toISOString()),
    ],
  );
}

/** Marks every day with a success or a failure: what `deployledger repair --dora` recomputes. */
export async function markAllDoraDays(prisma: PrismaClient): Promise<number> {
  return prisma.$executeRaw(Prisma.sql`
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT DISTINCT repository_key, environment_key,
           (COALESCE(deployed_at, completed_at) AT TIME ZONE 'UTC')::date
    FROM deployment
    WHERE deployed_at IS NOT NULL OR (state IN ('failure', 'error') AND completed_at IS NOT NULL)`);
}
