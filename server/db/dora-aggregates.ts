import { foldName } from '../ledger/index.ts';
import { distinctEnvironments } from './distinct.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';

export interface Scope {
  /** null: every repository (public dashboard, Prometheus). */
  repositories: string[] | null;
  environment?: string | undefined;
  /** Only these environments (a page of an answer, dora-page.ts). */
  environments?: EnvironmentKey[] | undefined;
}

/** A (repository, environment) by its folded names (ledger/names.ts). */
export interface EnvironmentKey {
  repositoryKey: string;
  environmentKey: string;
}

/**
 * One row per (repository, environment, bucket), plus a total row per environment (bucket null).
 * `repository` and `environment` are the folded names (ledger/names.ts): rows group however the
 * records spell them.
 */
export interface AggregateRow {
  repository: string;
  environment: string;
  bucket: number | null;
  deployments: number;
  failures: number;
  lead_samples: number;
  lead_median: number | null;
  incidents: number;
  restored: number;
  /** …of the restored incidents, those whose restoring success was a rollback (its `kind`). */
  restored_by_rollback: number;
  restore_median: number | null;
}

export function scopeFilter(alias: string, scope: Scope): Prisma.Sql {
  const column = (name: string) => Prisma.raw(`${alias}."${name}"`);
  const parts: Prisma.Sql[] = [];
  if (scope.repositories)
    parts.push(
      Prisma.sql`AND ${column('repository_key')} IN (${Prisma.join([...new Set(scope.repositories.map(foldName))])})`,
    );
  if (scope.environment)
    parts.push(Prisma.sql`AND ${column('environment_key')} = ${foldName(scope.environment)}`);
  if (scope.environments)
    parts.push(
      Prisma.sql`AND (${column('repository_key')}, ${column('environment_key')}) IN (SELECT * FROM unnest(
        ARRAY[${Prisma.join(scope.environments.map((e) => e.repositoryKey))}]::text[],
        ARRAY[${Prisma.join(scope.environments.map((e) => e.environmentKey))}]::text[]))`,
    );
  return parts.length ? Prisma.join(parts, ' ') : Prisma.empty;
}

/** The window [since, until) the aggregates cover, bucketed by `bucketMs` from `since`. */
export interface AggregateWindow {
  since: Date;
  until: Date;
  bucketMs: number;
}

/** The window's bounds and bucket width as the aggregate queries bind them. */
export function windowSql(window: AggregateWindow) {
  return {
    since: Prisma.sql`${window.since.toISOString()}::timestamptz`,
    until: Prisma.sql`${window.until.toISOString()}::timestamptz`,
    bucketSeconds: window.bucketMs / 1000,
  };
}

/**
 * The four DORA figures, aggregated in the database for a window [since, until):
 * - successes: deployments whose `deployed_at` falls in the window; lead time = deployed_at − commit_at;
 * - failures: deployments that ended `failure` or `error`, by `completed_at`;
 * - incidents: failures that start a run of failures on their environment (no other failure since
 *   the last success), each restored by the environment's first success after it; found in one
 *   ordered pass per environment (window functions), from its last success before the window;
 *   `restored_by_rollback` counts those whose restoring success was a rollback.
 * Each figure is also bucketed by `bucketMs` from `since`, for the trend.
 */
export async function aggregateDora(
  prisma: PrismaClient,
  scope: Scope,
  window: AggregateWindow,
): Promise<AggregateRow[]> {
  if (scope.repositories?.length === 0 || scope.environments?.length === 0) return [];
  const { since, until, bucketSeconds } = windowSql(window);
  return prisma.$queryRaw<AggregateRow[]>`
    WITH successes AS (
      SELECT d.repository_key AS repository, d.environment_key AS environment, d.deployed_at AS at,
             -- No commit time, no lead time (GREATEST would make NULL a 0-second sample).
             CASE WHEN d.commit_at IS NOT NULL
                  THEN GREATEST(0, EXTRACT(EPOCH FROM (d.deployed_at - d.commit_at)))::float8 END AS lead_seconds
      FROM deployment d
      WHERE d.deployed_at >= ${since} AND d.deployed_at < ${until} ${scopeFilter('d', scope)}
    ),
    failures AS (
      SELECT d.id, d.repository_key AS repository, d.environment_key AS environment, d.completed_at AS at
      FROM deployment d
      WHERE d.state IN ('failure', 'error') AND d.deployed_at IS NULL
        AND d.completed_at >= ${since} AND d.completed_at < ${until} ${scopeFilter('d', scope)}
    ),
    -- Where each environment's run of failures can start: its last deployment at or before the
    -- window (else its beginning).
    starts AS (
      SELECT e.repository, e.environment,
             COALESCE((SELECT max(s.deployed_at) FROM deployment s
                       WHERE s.repository_key = e.repository AND s.environment_key = e.environment
                         AND s.deployed_at <= ${since}), '-infinity'::timestamptz) AS from_at
      FROM (SELECT DISTINCT repository, environment FROM failures) e
    ),
    -- Deployments and failures of those environments from there, in time order (a deployment
    -- before a failure at the same instant), and the first deployment after the window.
    stream AS (
      SELECT t.repository, t.environment, s.deployed_at AS at, 0 AS kind, NULL::uuid AS id,
             s.kind = 'rollback' AS rollback
      FROM starts t JOIN deployment s
        ON s.repository_key = t.repository AND s.environment_key = t.environment
       AND s.deployed_at >= t.from_at AND s.deployed_at < ${until}
      UNION ALL
      SELECT t.repository, t.environment, n.at, 0, NULL,
             EXISTS (SELECT 1 FROM deployment s
                     WHERE s.repository_key = t.repository AND s.environment_key = t.environment
                       AND s.deployed_at = n.at AND s.kind = 'rollback')
      FROM starts t, LATERAL (SELECT min(s.deployed_at) AS at FROM deployment s
                              WHERE s.repository_key = t.repository AND s.environment_key = t.environment
                                AND s.deployed_at >= ${until}) n
      WHERE n.at IS NOT NULL
      UNION ALL
      SELECT t.repository, t.environment, p.completed_at, 1, p.id, false
      FROM starts t JOIN deployment p
        ON p.repository_key = t.repository AND p.environment_key = t.environment
       AND p.state IN ('failure', 'error') AND p.deployed_at IS NULL
       AND p.completed_at >= t.from_at AND p.completed_at < ${until}
    ),
    -- A failure starts an incident when no other failure came since the last deployment; the next
    -- deployment restores it.
    runs AS (
      SELECT repository, environment, at, kind,
             max(at) FILTER (WHERE kind = 0) OVER forward AS last_deployed,
             max(at) FILTER (WHERE kind = 1) OVER (forward ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
               AS previous_failure,
             min(at) FILTER (WHERE kind = 0) OVER backward AS restored_at,
             min(at) FILTER (WHERE kind = 0 AND rollback) OVER backward AS rollback_at
      FROM stream
      WINDOW forward AS (PARTITION BY repository, environment ORDER BY at, kind, id),
             backward AS (PARTITION BY repository, environment ORDER BY at DESC, kind DESC, id DESC)
    ),
    incidents AS (
      SELECT repository, environment, at, restored_at, rollback_at = restored_at AS by_rollback FROM runs
      WHERE kind = 1 AND at >= ${since}
        AND (previous_failure IS NULL OR previous_failure <= last_deployed)
    ),
    events AS (
      SELECT repository, environment, at, 'success' AS kind, lead_seconds, NULL::float8 AS restore_seconds,
             false AS by_rollback
        FROM successes
      UNION ALL
      SELECT repository, environment, at, 'failure', NULL, NULL, false FROM failures
      UNION ALL
      SELECT repository, environment, at, 'incident', NULL,
             EXTRACT(EPOCH FROM (restored_at - at))::float8, COALESCE(by_rollback, false)
        FROM incidents
    ),
    bucketed AS (
      SELECT *, floor(EXTRACT(EPOCH FROM (at - ${since})) / ${bucketSeconds}::float8)::int AS bucket
      FROM events
    )
    SELECT repository, environment,
           CASE WHEN GROUPING(bucket) = 1 THEN NULL ELSE bucket END AS bucket,
           (count(*) FILTER (WHERE kind = 'success'))::int AS deployments,
           (count(*) FILTER (WHERE kind = 'failure'))::int AS failures,
           count(lead_seconds)::int AS lead_samples,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_seconds) AS lead_median,
           (count(*) FILTER (WHERE kind = 'incident'))::int AS incidents,
           count(restore_seconds)::int AS restored,
           (count(restore_seconds) FILTER (WHERE by_rollback))::int AS restored_by_rollback,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY restore_seconds) AS restore_median
    FROM bucketed
    GROUP BY GROUPING SETS ((repository, environment, bucket), (repository, environment))
    ORDER BY repository, environment, bucket NULLS FIRST`;
}

/** Every (repository, environment) in scope that has ever had a deployment. */
export function knownEnvironments(
  prisma: PrismaClient,
  scope: Scope,
): Promise<Array<{ repository: string; environment: string }>> {
  return distinctEnvironments(prisma, scope.repositories, scope.environment);
}
