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
  /** …of them: rollbacks (the record's `kind`, ledger/kind.ts). */
  rollbacks: number;
  /** …of them: started within `afterFailureMinutes` after a failed deployment ended. */
  after_failure: number;
}

/**
 * Deployment rework rate's numerator, aggregated in the database for [since, until): successful
 * deployments (by `deployed_at`, as deployment frequency counts them) that were unplanned — made
 * to fix a problem users saw. We count a deployment as rework when
 * - it is a rollback (its `kind`, decided when it was created: a sha that succeeded here before
 *   and is not the current one, checked against the commit graph when GitHub could be asked;
 *   deploying the current sha again, a redeploy, is not rework), or
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
  if (scope.repositories?.length === 0 || scope.environments?.length === 0) return [];
  const { since, until, bucketSeconds } = windowSql(window);
  const afterFailure = Prisma.sql`${`${afterFailureMinutes} minutes`}::interval`;
  return prisma.$queryRaw<ReworkRow[]>`
    WITH deployed AS (
      SELECT d.repository_key AS repository, d.environment_key AS environment, d.deployed_at,
             COALESCE(d.started_at, d.created_at) AS began, d.kind = 'rollback' AS rollback
      FROM deployment d
      WHERE d.deployed_at >= ${since} AND d.deployed_at < ${until} ${scopeFilter('d', scope)}
    ),
    classified AS (
      SELECT x.repository, x.environment, x.deployed_at, x.rollback,
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
      WHERE rollback OR after_failure
    )
    SELECT repository, environment,
           CASE WHEN GROUPING(bucket) = 1 THEN NULL ELSE bucket END AS bucket,
           count(*)::int AS rework,
           (count(*) FILTER (WHERE rollback))::int AS rollbacks,
           (count(*) FILTER (WHERE after_failure))::int AS after_failure
    FROM bucketed
    GROUP BY GROUPING SETS ((repository, environment, bucket), (repository, environment))
    ORDER BY repository, environment, bucket NULLS FIRST`;
}
