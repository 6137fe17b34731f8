-- Lead time is deployed_at − commit_at, so a success without a commit time has none (docs: "the
-- lead time leaves it out"). GREATEST(0, NULL) is 0 in PostgreSQL, so such successes were counted
-- as lead-time samples of 0 seconds, pulling the median down. dora_refresh is restated from
-- 20261212000300_dora_refresh_set with that one expression changed, and every day holding such a
-- success is marked for the next refresh, which recomputes its rollup.
CREATE OR REPLACE FUNCTION "dora_refresh"() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  refreshed integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dora_dirty) THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('deployledger.dora_refresh'));
  WITH taken AS (
    DELETE FROM dora_dirty RETURNING repository_key, environment_key, day
  ),
  days AS (SELECT DISTINCT repository_key AS r, environment_key AS e, day FROM taken),
  spans AS (
    SELECT r, e, (min(day)::timestamp AT TIME ZONE 'UTC') AS lo, ((max(day) + 1)::timestamp AT TIME ZONE 'UTC') AS hi
    FROM days GROUP BY r, e
  ),
  bounds AS (
    SELECT s.r, s.e, s.hi,
           COALESCE((SELECT max(d.deployed_at) FROM deployment d
                     WHERE d.repository_key = s.r AND d.environment_key = s.e AND d.deployed_at < s.lo),
                    '-infinity') AS from_at,
           COALESCE((SELECT min(d.deployed_at) FROM deployment d
                     WHERE d.repository_key = s.r AND d.environment_key = s.e AND d.deployed_at >= s.hi),
                    'infinity') AS to_at
    FROM spans s
  ),
  -- Deployed records (kind 0) and failures (kind 1) in time order, a deployment before a failure
  -- at the same instant, ties by id as dora_compute_day breaks them.
  stream AS (
    SELECT b.r, b.e, d.id, d.deployed_at AS at, 0 AS kind, d.kind = 'rollback' AS rollback,
           COALESCE(d.started_at, d.created_at) AS began,
           CASE WHEN d.commit_at IS NOT NULL
                THEN GREATEST(0, EXTRACT(EPOCH FROM (d.deployed_at - d.commit_at)))::float8 END AS lead_seconds
    FROM bounds b JOIN deployment d
      ON d.repository_key = b.r AND d.environment_key = b.e
     AND d.deployed_at >= b.from_at AND d.deployed_at <= b.to_at
    UNION ALL
    SELECT b.r, b.e, f.id, f.completed_at, 1, false, NULL, NULL
    FROM bounds b JOIN deployment f
      ON f.repository_key = b.r AND f.environment_key = b.e
     AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
     AND f.completed_at >= b.from_at AND f.completed_at < b.hi
  ),
  -- Frames that start at the partition's head only grow: each aggregate is computed incrementally.
  ordered AS (
    SELECT s.*,
           COALESCE(max(at) FILTER (WHERE kind = 0) OVER forward, '-infinity') AS last_deployed,
           max(at) FILTER (WHERE kind = 1) OVER (forward ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_failure,
           min(at) FILTER (WHERE kind = 0) OVER backward AS restored_at,
           min(at) FILTER (WHERE kind = 0 AND rollback) OVER backward AS rollback_at
    FROM stream s
    WINDOW forward AS (PARTITION BY r, e ORDER BY at, kind, id),
           backward AS (PARTITION BY r, e ORDER BY at DESC, kind DESC, id DESC
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
  ),
  marked AS (
    SELECT o.* FROM ordered o
    JOIN days k ON k.r = o.r AND k.e = o.e AND k.day = (o.at AT TIME ZONE 'UTC')::date
  ),
  successes AS (
    SELECT m.r, m.e, (m.at AT TIME ZONE 'UTC')::date AS day, m.lead_seconds, m.rollback,
           EXISTS (SELECT 1 FROM deployment f
                   WHERE f.repository_key = m.r AND f.environment_key = m.e
                     AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
                     AND f.completed_at <= m.began AND f.completed_at > m.began - interval '60 minutes') AS after_failure
    FROM marked m WHERE m.kind = 0
  ),
  failures AS (
    SELECT m.r, m.e, (m.at AT TIME ZONE 'UTC')::date AS day,
           m.previous_failure IS NULL OR m.previous_failure <= m.last_deployed AS incident,
           EXTRACT(EPOCH FROM (m.restored_at - m.at))::float8 AS restore_seconds,
           m.rollback_at = m.restored_at AS by_rollback
    FROM marked m WHERE m.kind = 1
  ),
  success_days AS (
    SELECT r, e, day, count(*)::integer AS deployments, count(lead_seconds)::integer AS lead_samples,
           (count(*) FILTER (WHERE rollback OR after_failure))::integer AS rework,
           (count(*) FILTER (WHERE rollback))::integer AS rollbacks,
           (count(*) FILTER (WHERE after_failure))::integer AS after_failure
    FROM successes GROUP BY r, e, day
  ),
  failure_days AS (
    SELECT r, e, day, count(*)::integer AS failures,
           (count(*) FILTER (WHERE incident))::integer AS incidents,
           (count(restore_seconds) FILTER (WHERE incident))::integer AS restored,
           (count(restore_seconds) FILTER (WHERE incident AND by_rollback))::integer AS restored_by_rollback
    FROM failures GROUP BY r, e, day
  ),
  -- Histograms as dora_histogram makes them: exact pairs while at most 16 distinct values.
  samples AS (
    SELECT r, e, day, 'lead' AS what, lead_seconds AS x FROM successes WHERE lead_seconds IS NOT NULL
    UNION ALL
    SELECT r, e, day, 'restore', restore_seconds FROM failures WHERE incident AND restore_seconds IS NOT NULL
  ),
  exactness AS (
    SELECT r, e, day, what, count(DISTINCT x) <= 16 AS exact FROM samples GROUP BY r, e, day, what
  ),
  pairs AS (
    SELECT s.r, s.e, s.day, s.what, x.exact,
           CASE WHEN x.exact THEN s.x ELSE dora_bucket(s.x)::float8 END AS k, count(*)::float8 AS c
    FROM samples s JOIN exactness x ON x.r = s.r AND x.e = s.e AND x.day = s.day AND x.what = s.what
    GROUP BY 1, 2, 3, 4, 5, 6
  ),
  histograms AS (
    SELECT r, e, day, what, bool_and(exact) AS exact, array_agg(p ORDER BY k, i) AS histogram
    FROM pairs, LATERAL (VALUES (1, k), (2, c)) AS z(i, p)
    GROUP BY r, e, day, what
  )
  INSERT INTO dora_day AS x (repository_key, environment_key, day, deployments, failures, lead_samples,
                             lead_histogram, lead_exact, incidents, restored, restored_by_rollback,
                             restore_histogram, restore_exact, rework, rollbacks, after_failure)
  SELECT k.r, k.e, k.day, COALESCE(s.deployments, 0), COALESCE(f.failures, 0), COALESCE(s.lead_samples, 0),
         COALESCE(l.histogram, '{}'), COALESCE(l.exact, true),
         COALESCE(f.incidents, 0), COALESCE(f.restored, 0), COALESCE(f.restored_by_rollback, 0),
         COALESCE(h.histogram, '{}'), COALESCE(h.exact, true),
         COALESCE(s.rework, 0), COALESCE(s.rollbacks, 0), COALESCE(s.after_failure, 0)
  FROM days k
  LEFT JOIN success_days s ON s.r = k.r AND s.e = k.e AND s.day = k.day
  LEFT JOIN failure_days f ON f.r = k.r AND f.e = k.e AND f.day = k.day
  LEFT JOIN histograms l ON l.r = k.r AND l.e = k.e AND l.day = k.day AND l.what = 'lead'
  LEFT JOIN histograms h ON h.r = k.r AND h.e = k.e AND h.day = k.day AND h.what = 'restore'
  ON CONFLICT ("repository_key", "environment_key", "day") DO UPDATE SET
    deployments = EXCLUDED.deployments, failures = EXCLUDED.failures,
    lead_samples = EXCLUDED.lead_samples, lead_histogram = EXCLUDED.lead_histogram,
    lead_exact = EXCLUDED.lead_exact, incidents = EXCLUDED.incidents, restored = EXCLUDED.restored,
    restored_by_rollback = EXCLUDED.restored_by_rollback,
    restore_histogram = EXCLUDED.restore_histogram, restore_exact = EXCLUDED.restore_exact,
    rework = EXCLUDED.rework, rollbacks = EXCLUDED.rollbacks, after_failure = EXCLUDED.after_failure;
  GET DIAGNOSTICS refreshed = ROW_COUNT;
  RETURN refreshed;
END
$$;

INSERT INTO "dora_dirty" ("repository_key", "environment_key", "day")
SELECT DISTINCT "repository_key", "environment_key", ("deployed_at" AT TIME ZONE 'UTC')::date
FROM "deployment" WHERE "deployed_at" IS NOT NULL AND "commit_at" IS NULL;
