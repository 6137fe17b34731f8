-- DORA uses each record's kind (server/ledger/kind.ts, migration 20261211000400_deployment_kind):
-- rework counts rollbacks (`kind = 'rollback'`) instead of "an earlier sha over another one", and a
-- recovery says whether the success that ended it was a rollback. The rules are those of
-- server/db/dora-aggregates.ts and dora-rework.ts, which compute windows not on UTC midnights.

-- `redeploys` held the earlier-sha count; the column now holds rollbacks (recomputed below).
ALTER TABLE "dora_day" RENAME COLUMN "redeploys" TO "rollbacks";
-- Constant default: no rewrite of the table; every day is recomputed by the next refresh.
ALTER TABLE "dora_day" ADD COLUMN "restored_by_rollback" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "dora_day" ALTER COLUMN "restored_by_rollback" DROP DEFAULT;

-- A record's kind is refined after it was written (GitHub's compare, ledger/kind.ts refineKind):
-- its day (rework) and the incident it ends (recovered by a rollback) must be recomputed. Only a
-- deployed record's kind counts; dora_touched_days gives those days (and a few more). A trigger of
-- its own, so dora_mark_dirty (20261211000200) stays as it is.
CREATE FUNCTION "dora_mark_kind"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('deployledger.dora_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO dora_dirty (repository_key, environment_key, day)
  SELECT DISTINCT n.repository_key, n.environment_key, t.day
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  CROSS JOIN LATERAL dora_touched_days(n.repository_key, n.environment_key, n.deployed_at, true, n.sha) AS t(day)
  WHERE n.kind IS DISTINCT FROM o.kind AND n.deployed_at IS NOT NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER "deployment_dora_kind" AFTER UPDATE ON "deployment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "dora_mark_kind"();

-- The result's columns change: the function is replaced, not altered (dora_refresh calls it by
-- name, resolved when it runs).
DROP FUNCTION "dora_compute_day"(text, text, date);

-- One environment's day, computed from its deployments by the rules of dora-aggregates.ts
-- (incidents: a failure with no other failure since the last success, restored by the next
-- success, by a rollback when one of the successes at that instant is one) and dora-rework.ts
-- (rework: a rollback, or begun within 60 minutes after a failure: REWORK_AFTER_FAILURE_MINUTES).
CREATE FUNCTION "dora_compute_day"(r text, e text, d date)
RETURNS TABLE (deployments integer, failures integer, lead_samples integer, lead_histogram float8[],
               lead_exact boolean, incidents integer, restored integer, restored_by_rollback integer,
               restore_histogram float8[], restore_exact boolean, rework integer, rollbacks integer,
               after_failure integer)
LANGUAGE sql STABLE AS $$
  WITH successes AS (
    SELECT s.deployed_at, s.kind = 'rollback' AS rollback, COALESCE(s.started_at, s.created_at) AS began,
           GREATEST(0, EXTRACT(EPOCH FROM (s.deployed_at - s.commit_at)))::float8 AS lead_seconds
    FROM deployment s
    WHERE s.repository_key = r AND s.environment_key = e
      AND s.deployed_at >= (d::timestamp AT TIME ZONE 'UTC') AND s.deployed_at < ((d + 1)::timestamp AT TIME ZONE 'UTC')
  ),
  -- Each failure with the last success at or before it: whether another failure came between is
  -- then one range probe of the environment's failures.
  failed AS (
    SELECT f.id, f.completed_at AS at,
           COALESCE((SELECT max(s.deployed_at) FROM deployment s
                     WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at <= f.completed_at),
                    '-infinity') AS last_deployed
    FROM deployment f
    WHERE f.repository_key = r AND f.environment_key = e AND f.state IN ('failure', 'error')
      AND f.deployed_at IS NULL
      AND f.completed_at >= (d::timestamp AT TIME ZONE 'UTC') AND f.completed_at < ((d + 1)::timestamp AT TIME ZONE 'UTC')
  ),
  incident AS (
    SELECT EXTRACT(EPOCH FROM (n.restored_at - f.at))::float8 AS restore_seconds,
           EXISTS (SELECT 1 FROM deployment s
                   WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at = n.restored_at
                     AND s.kind = 'rollback') AS by_rollback
    FROM failed f
    CROSS JOIN LATERAL (SELECT min(s.deployed_at) AS restored_at FROM deployment s
                        WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at > f.at) n
    WHERE NOT EXISTS (
      SELECT 1 FROM deployment g
      WHERE g.repository_key = r AND g.environment_key = e AND g.state IN ('failure', 'error')
        AND g.deployed_at IS NULL
        AND g.completed_at > f.last_deployed AND g.completed_at <= f.at
        AND (g.completed_at, g.id) < (f.at, f.id))
  ),
  classified AS (
    SELECT x.rollback,
           EXISTS (SELECT 1 FROM deployment f
                   WHERE f.repository_key = r AND f.environment_key = e
                     AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
                     AND f.completed_at <= x.began AND f.completed_at > x.began - interval '60 minutes') AS after_failure
    FROM successes x
  )
  SELECT (SELECT count(*) FROM successes)::integer,
         (SELECT count(*) FROM failed)::integer,
         (SELECT count(lead_seconds) FROM successes)::integer,
         l.histogram, l.exact,
         (SELECT count(*) FROM incident)::integer,
         (SELECT count(restore_seconds) FROM incident)::integer,
         (SELECT count(restore_seconds) FILTER (WHERE by_rollback) FROM incident)::integer,
         h.histogram, h.exact,
         (SELECT count(*) FILTER (WHERE rollback OR after_failure) FROM classified)::integer,
         (SELECT count(*) FILTER (WHERE rollback) FROM classified)::integer,
         (SELECT count(*) FILTER (WHERE after_failure) FROM classified)::integer
  FROM dora_histogram(ARRAY(SELECT lead_seconds FROM successes)) l,
       dora_histogram(ARRAY(SELECT restore_seconds FROM incident)) h
$$;

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
  days AS (SELECT DISTINCT repository_key, environment_key, day FROM taken)
  INSERT INTO dora_day AS x (repository_key, environment_key, day, deployments, failures, lead_samples,
                             lead_histogram, lead_exact, incidents, restored, restored_by_rollback,
                             restore_histogram, restore_exact, rework, rollbacks, after_failure)
  SELECT k.repository_key, k.environment_key, k.day, c.*
  FROM days k CROSS JOIN LATERAL dora_compute_day(k.repository_key, k.environment_key, k.day) c
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

-- Every day with a success or a failure: its rework and recoveries are recomputed by the first
-- refresh (`deployledger import` and `deployledger repair --dora` run one; so does the first DORA
-- read). Records written before 20261211000400 read `forward`: rework only after a failure.
INSERT INTO dora_dirty (repository_key, environment_key, day)
SELECT DISTINCT repository_key, environment_key,
       (COALESCE(deployed_at, completed_at) AT TIME ZONE 'UTC')::date
FROM deployment
WHERE deployed_at IS NOT NULL OR (state IN ('failure', 'error') AND completed_at IS NOT NULL);
