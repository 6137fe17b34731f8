-- DORA rollups: one row per (repository, environment, UTC day) with what the DORA figures of that
-- day are made of, so /v1/dora over whole days reads one row per environment and day instead of
-- every deployment of its window. Derived data: every writer keeps it through the triggers below
-- (they mark the days a change can touch; `dora_refresh()` recomputes those days from the
-- deployments, in the same rules as server/db/dora-aggregates.ts and dora-rework.ts).

-- Median samples of one day: exact (seconds, count) pairs while a day has few distinct values,
-- else counts per histogram bucket (`dora_bucket`, about 2 % wide).
CREATE FUNCTION "dora_bucket"(seconds float8) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT floor(ln(1 + greatest(seconds, 0)) / ln(1.02))::integer
$$;

CREATE TABLE "dora_day" (
  "repository_key" TEXT NOT NULL,
  "environment_key" TEXT NOT NULL,
  "day" DATE NOT NULL,
  "deployments" INTEGER NOT NULL,
  "failures" INTEGER NOT NULL,
  "lead_samples" INTEGER NOT NULL,
  -- [value, count, value, count, …]: values are seconds when *_exact, else dora_bucket numbers.
  "lead_histogram" FLOAT8[] NOT NULL,
  "lead_exact" BOOLEAN NOT NULL,
  "incidents" INTEGER NOT NULL,
  "restored" INTEGER NOT NULL,
  "restore_histogram" FLOAT8[] NOT NULL,
  "restore_exact" BOOLEAN NOT NULL,
  "rework" INTEGER NOT NULL,
  "redeploys" INTEGER NOT NULL,
  "after_failure" INTEGER NOT NULL,
  CONSTRAINT "dora_day_pkey" PRIMARY KEY ("repository_key", "environment_key", "day")
);

-- Days whose rollup a change may have made wrong. A row per change (no ON CONFLICT): a refresh
-- removes only the marks its snapshot sees, so a change committed after it stays marked.
CREATE TABLE "dora_dirty" (
  "id" BIGSERIAL NOT NULL,
  "repository_key" TEXT NOT NULL,
  "environment_key" TEXT NOT NULL,
  "day" DATE NOT NULL,
  CONSTRAINT "dora_dirty_pkey" PRIMARY KEY ("id")
);

-- Rework after a failure: the successes that began within the hour after a failure ended.
CREATE INDEX "deployment_identity_began_idx" ON "deployment"("repository_key", "environment_key", (COALESCE("started_at", "created_at")))
  WHERE "deployed_at" IS NOT NULL;

-- The day a change at `at` may alter, beside its own: the first failures of the runs around it
-- (incidents and their restore), the next success (its previous sha), the next success of the
-- same sha (was it deployed before?), and, for a failure, the successes that began within the
-- hour after it (REWORK_AFTER_FAILURE_MINUTES in server/dora/rework.ts).
CREATE FUNCTION "dora_touched_days"(r text, e text, at timestamptz, deployed boolean, deployed_sha text)
RETURNS SETOF date LANGUAGE sql STABLE AS $$
  WITH around AS (
    SELECT (SELECT max(s.deployed_at) FROM deployment s
            WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at < at) AS lo,
           (SELECT min(s.deployed_at) FROM deployment s
            WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at > at) AS hi
  ),
  touched AS (
    SELECT at AS t
    UNION ALL SELECT hi FROM around
    UNION ALL
    SELECT (SELECT min(f.completed_at) FROM deployment f
            WHERE f.repository_key = r AND f.environment_key = e
              AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
              AND f.completed_at >= COALESCE(a.lo, '-infinity') AND f.completed_at < COALESCE(a.hi, 'infinity'))
    FROM around a
    UNION ALL
    SELECT (SELECT min(f.completed_at) FROM deployment f
            WHERE f.repository_key = r AND f.environment_key = e
              AND f.state IN ('failure', 'error') AND f.deployed_at IS NULL
              AND f.completed_at >= at AND f.completed_at < COALESCE(a.hi, 'infinity'))
    FROM around a
    UNION ALL
    SELECT (SELECT min(s.deployed_at) FROM deployment s
            WHERE s.repository_key = r AND s.environment_key = e
              AND lower(s.sha) = lower(deployed_sha) AND s.deployed_at > at)
    WHERE deployed
    UNION ALL
    SELECT s.deployed_at FROM deployment s
    WHERE NOT deployed AND s.repository_key = r AND s.environment_key = e AND s.deployed_at IS NOT NULL
      AND COALESCE(s.started_at, s.created_at) >= at
      AND COALESCE(s.started_at, s.created_at) < at + interval '60 minutes'
  )
  SELECT DISTINCT (t AT TIME ZONE 'UTC')::date FROM touched WHERE t IS NOT NULL
$$;

-- A record's part in DORA: when it counts (deployed, or ended failed without deploying) and what
-- decides its neighbours' figures. Other changes (a pending record, a description) touch nothing.
CREATE FUNCTION "dora_mark_dirty"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- `deployledger import` defers marking and refreshes the environments it wrote at its end.
  IF current_setting('deployledger.dora_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT DISTINCT c.repository_key, c.environment_key, t.day
    FROM (SELECT n.repository_key, n.environment_key, n.sha,
                 COALESCE(n.deployed_at, CASE WHEN n.state IN ('failure', 'error') THEN n.completed_at END) AS at,
                 n.deployed_at IS NOT NULL AS deployed
          FROM new_rows n) c
    CROSS JOIN LATERAL dora_touched_days(c.repository_key, c.environment_key, c.at, c.deployed, c.sha) AS t(day)
    WHERE c.at IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT DISTINCT c.repository_key, c.environment_key, t.day
    FROM (SELECT o.repository_key, o.environment_key, o.sha,
                 COALESCE(o.deployed_at, CASE WHEN o.state IN ('failure', 'error') THEN o.completed_at END) AS at,
                 o.deployed_at IS NOT NULL AS deployed
          FROM old_rows o) c
    CROSS JOIN LATERAL dora_touched_days(c.repository_key, c.environment_key, c.at, c.deployed, c.sha) AS t(day)
    WHERE c.at IS NOT NULL;
  ELSE
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT DISTINCT c.repository_key, c.environment_key, t.day
    FROM (
      SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL (VALUES
        (o.repository_key, o.environment_key, o.sha,
         COALESCE(o.deployed_at, CASE WHEN o.state IN ('failure', 'error') THEN o.completed_at END),
         o.deployed_at IS NOT NULL),
        (n.repository_key, n.environment_key, n.sha,
         COALESCE(n.deployed_at, CASE WHEN n.state IN ('failure', 'error') THEN n.completed_at END),
         n.deployed_at IS NOT NULL)) AS v(repository_key, environment_key, sha, at, deployed)
      WHERE (o.repository_key, o.environment_key, lower(o.sha), o.state, o.deployed_at, o.completed_at,
             o.commit_at, o.started_at, o.created_at)
            IS DISTINCT FROM
            (n.repository_key, n.environment_key, lower(n.sha), n.state, n.deployed_at, n.completed_at,
             n.commit_at, n.started_at, n.created_at)
    ) c
    CROSS JOIN LATERAL dora_touched_days(c.repository_key, c.environment_key, c.at, c.deployed, c.sha) AS t(day)
    WHERE c.at IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "deployment_dora_insert" AFTER INSERT ON "deployment"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "dora_mark_dirty"();
CREATE TRIGGER "deployment_dora_update" AFTER UPDATE ON "deployment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "dora_mark_dirty"();
CREATE TRIGGER "deployment_dora_delete" AFTER DELETE ON "deployment"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "dora_mark_dirty"();

-- Pairs [value, count, …] of `values`: exact while at most 16 distinct, else per dora_bucket.
CREATE FUNCTION "dora_histogram"(vals float8[]) RETURNS TABLE (histogram float8[], exact boolean)
LANGUAGE sql IMMUTABLE AS $$
  WITH v AS (SELECT x FROM unnest(vals) AS u(x) WHERE x IS NOT NULL),
  exact AS (SELECT count(DISTINCT x) <= 16 AS yes FROM v),
  pairs AS (
    SELECT CASE WHEN (SELECT yes FROM exact) THEN x ELSE dora_bucket(x)::float8 END AS k, count(*)::float8 AS c
    FROM v GROUP BY 1
  )
  SELECT COALESCE((SELECT array_agg(p ORDER BY k, i) FROM pairs, LATERAL (VALUES (1, k), (2, c)) AS z(i, p)), '{}'),
         (SELECT yes FROM exact)
$$;

-- One environment's day, computed from its deployments by the rules of dora-aggregates.ts (incidents:
-- a failure with no other failure since the last success, restored by the next success) and
-- dora-rework.ts (rework within 60 minutes after a failure: REWORK_AFTER_FAILURE_MINUTES).
CREATE FUNCTION "dora_compute_day"(r text, e text, d date)
RETURNS TABLE (deployments integer, failures integer, lead_samples integer, lead_histogram float8[],
               lead_exact boolean, incidents integer, restored integer, restore_histogram float8[],
               restore_exact boolean, rework integer, redeploys integer, after_failure integer)
LANGUAGE sql STABLE AS $$
  WITH successes AS (
    SELECT s.deployed_at, lower(s.sha) AS sha, COALESCE(s.started_at, s.created_at) AS began,
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
    SELECT EXTRACT(EPOCH FROM ((SELECT min(s.deployed_at) FROM deployment s
                                WHERE s.repository_key = r AND s.environment_key = e AND s.deployed_at > f.at)
                               - f.at))::float8 AS restore_seconds
    FROM failed f
    WHERE NOT EXISTS (
      SELECT 1 FROM deployment g
      WHERE g.repository_key = r AND g.environment_key = e AND g.state IN ('failure', 'error')
        AND g.deployed_at IS NULL
        AND g.completed_at > f.last_deployed AND g.completed_at <= f.at
        AND (g.completed_at, g.id) < (f.at, f.id))
  ),
  classified AS (
    SELECT COALESCE((SELECT lower(p.sha) FROM deployment p
                     WHERE p.repository_key = r AND p.environment_key = e AND p.deployed_at < x.deployed_at
                     ORDER BY p.deployed_at DESC LIMIT 1) <> x.sha
                    AND EXISTS (SELECT 1 FROM deployment q
                                WHERE q.repository_key = r AND q.environment_key = e
                                  AND lower(q.sha) = x.sha AND q.deployed_at < x.deployed_at), false) AS redeploy,
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
         h.histogram, h.exact,
         (SELECT count(*) FILTER (WHERE redeploy OR after_failure) FROM classified)::integer,
         (SELECT count(*) FILTER (WHERE redeploy) FROM classified)::integer,
         (SELECT count(*) FILTER (WHERE after_failure) FROM classified)::integer
  FROM dora_histogram(ARRAY(SELECT lead_seconds FROM successes)) l,
       dora_histogram(ARRAY(SELECT restore_seconds FROM incident)) h
$$;

-- Recomputes every marked day (one refresher at a time, so an older snapshot never overwrites a
-- newer one) and returns how many it recomputed. Marks made after it began stay for the next.
CREATE FUNCTION "dora_refresh"() RETURNS integer LANGUAGE plpgsql AS $$
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
  INSERT INTO dora_day AS x
  SELECT k.repository_key, k.environment_key, k.day, c.*
  FROM days k CROSS JOIN LATERAL dora_compute_day(k.repository_key, k.environment_key, k.day) c
  ON CONFLICT ("repository_key", "environment_key", "day") DO UPDATE SET
    deployments = EXCLUDED.deployments, failures = EXCLUDED.failures,
    lead_samples = EXCLUDED.lead_samples, lead_histogram = EXCLUDED.lead_histogram,
    lead_exact = EXCLUDED.lead_exact, incidents = EXCLUDED.incidents, restored = EXCLUDED.restored,
    restore_histogram = EXCLUDED.restore_histogram, restore_exact = EXCLUDED.restore_exact,
    rework = EXCLUDED.rework, redeploys = EXCLUDED.redeploys, after_failure = EXCLUDED.after_failure;
  GET DIAGNOSTICS refreshed = ROW_COUNT;
  RETURN refreshed;
END
$$;

-- What was recorded before the rollups: every day with a success or a failure, recomputed by the
-- first refresh (`deployledger import` and `deployledger repair --dora` run one; so does the first
-- DORA read).
INSERT INTO dora_dirty (repository_key, environment_key, day)
SELECT DISTINCT repository_key, environment_key,
       (COALESCE(deployed_at, completed_at) AT TIME ZONE 'UTC')::date
FROM deployment
WHERE deployed_at IS NOT NULL OR (state IN ('failure', 'error') AND completed_at IS NOT NULL);
