import { type AggregateWindow, type Scope, scopeFilter, windowSql } from './dora-aggregates.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';

/**
 * One row per (repository, environment, bucket), plus a total row per environment (bucket null),
 * by the folded names (ledger/names.ts), as aggregateDora groups them; shas compare case-blind.
 */
export interface ReworkRow {
  repository: string;
  environment: string;
  bucket: number | null;
  /** Successful deployments of the window that were rework, for either reason below. */
  rework: number;
  /** …of them: a redeploy of an earlier sha over another one (a rollback). */
  redeploys: number;
  /** …of them: started within `afterFailureMinutes` after a failed deployment ended. */
  after_failure: number;
}

/**
 * Deployment rework rate's numerator, aggregated in the database for [since, until): successful
 * deployments (by `deployed_at`, as deployment frequency counts them) that were unplanned — made
 * to fix a problem users saw. We count a deployment as rework when
 * - it deploys a sha the environment had deployed before, while another sha was the last one
 *   deployed (a rollback, or a redeploy of an earlier version; deploying the current sha again is
 *   not), or
 * - it started (`started_at`, else `created_at`) within `afterFailureMinutes` after a
 *   failed deployment (`failure` or `error`, never deployed) of its environment ended (a fix
 *   forward, or a retry of what failed).
 */
export async function reworkCounts(
  prisma: PrismaClient,
  scope: Scope,
  window: AggregateWindow,
  afterFailureMinutes: number,
): Promise<ReworkRow[]> {
  if (scope.repositories?.length === 0) return [];
  const { since, until, bucketSeconds } = windowSql(window);
  const afterFailure = Prisma.sql`${`${afterFailureMinutes} minutes`}::interval`;
  return prisma.$queryRaw<ReworkRow[]>`
    WITH deployed AS (
      SELECT d.repository_key AS repository, d.environment_key AS environment, lower(d.sha) AS sha, d.deployed_at,
             COALESCE(d.started_at, d.created_at) AS began
      FROM deployment d
      WHERE d.deployed_at >= ${since} AND d.deployed_at < ${until} ${scopeFilter('d', scope)}
    ),
    classified AS (
      SELECT x.repository, x.environment, x.deployed_at,
             COALESCE((
               SELECT lower(p.sha) FROM deployment p
               WHERE p.repository_key = x.repository AND p.environment_key = x.environment
                 AND p.deployed_at < x.deployed_at
               ORDER BY p.deployed_at DESC LIMIT 1
             ) <> x.sha AND EXISTS (
               SELECT 1 FROM deployment e
               WHERE e.repository_key = x.repository AND e.environment_key = x.environment
                 AND lower(e.sha) = x.sha AND e.deployed_at < x.deployed_at
             ), false) AS redeploy,
             EXISTS (
               SELECT 1 FROM deployment f
               WHERE f.repository_key = x.repository AND f.environment_key = x.environment
                 AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
                 AND f.completed_at <= x.began AND f.completed_at > x.began - ${afterFailure}
             ) AS after_failure
      FROM deployed x
    ),
    bucketed AS (
      SELECT *, floor(EXTRACT(EPOCH FROM (deployed_at - ${since})) / ${bucketSeconds}::float8)::int AS bucket
      FROM classified
      WHERE redeploy OR after_failure
    )
    SELECT repository, environment,
           CASE WHEN GROUPING(bucket) = 1 THEN NULL ELSE bucket END AS bucket,
           count(*)::int AS rework,
           (count(*) FILTER (WHERE redeploy))::int AS redeploys,
           (count(*) FILTER (WHERE after_failure))::int AS after_failure
    FROM bucketed
    GROUP BY GROUPING SETS ((repository, environment, bucket), (repository, environment))
    ORDER BY repository, environment, bucket NULLS FIRST`;
}
