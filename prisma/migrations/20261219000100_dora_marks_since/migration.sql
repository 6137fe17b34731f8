-- A write no longer works out which DORA days its change touches; it leaves one mark per
-- environment: "the days from `since` on may be wrong" (issue 16). The marking triggers called
-- dora_touched_days for every changed row, five index probes each (the successes around it, the
-- failures of its run, the next success of its sha): the watcher's UPDATE of 1 000 records to
-- success spent 36–40 ms of its 70–85 ms there, the same for any statement that ends records.
-- Now a statement inserts its (environment, earliest and latest changed instant) rows, and the
-- refresh, which runs at the next DORA read, turns each environment's marks into days once: from
-- the first failure of the run the earliest instant falls in (its incident's restore is counted on
-- that failure's day) to the environment's last success or failure, or the latest instant if that
-- is later (a deleted last record). Every day dora_touched_days named lies in that span: the
-- success after the instant, later successes of its sha and the successes begun within the hour
-- after a failure (rework) all come later, given a success is deployed no earlier than it began.
-- The span is what the import already marked (markDoraDaysFrom), whose SQL is now this one.

CREATE TABLE "dora_dirty_since" (
  "id" BIGSERIAL NOT NULL,
  "repository_key" TEXT NOT NULL,
  "environment_key" TEXT NOT NULL,
  "since" TIMESTAMPTZ(3) NOT NULL,
  "until" TIMESTAMPTZ(3) NOT NULL,
  CONSTRAINT "dora_dirty_since_pkey" PRIMARY KEY ("id")
);

-- Turns the marks its snapshot sees into dora_dirty's days (a mark committed after it stays for the
-- next refresh). SQL, not PL/pgSQL: planned at each call for the table as it is then.
CREATE FUNCTION "dora_expand_since"() RETURNS void LANGUAGE sql AS $$
  WITH taken AS (
    DELETE FROM dora_dirty_since RETURNING repository_key, environment_key, since, until
  ),
  env AS (
    SELECT repository_key AS r, environment_key AS e, min(since) AS t, max(until) AS u
    FROM taken GROUP BY repository_key, environment_key
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
           GREATEST(env.u,
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
$$;

-- The refresh as before (renamed, unchanged), after the marks are expanded under its lock.
ALTER FUNCTION "dora_refresh"() RENAME TO "dora_refresh_days";

CREATE FUNCTION "dora_refresh"() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dora_dirty_since) THEN
    PERFORM pg_advisory_xact_lock(hashtext('deployledger.dora_refresh'));
    PERFORM dora_expand_since();
  END IF;
  RETURN dora_refresh_days();
END
$$;

-- Inserts and deletes (row triggers; their WHEN keeps only rows DORA reads).
CREATE OR REPLACE FUNCTION "dora_mark_row"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed deployment;
  at timestamptz;
BEGIN
  IF TG_OP = 'DELETE' THEN
    changed := OLD;
  ELSE
    changed := NEW;
  END IF;
  at := COALESCE(changed.deployed_at,
                 CASE WHEN changed.state IN ('failure', 'error') THEN changed.completed_at END);
  IF at IS NOT NULL THEN
    INSERT INTO dora_dirty_since (repository_key, environment_key, since, until)
    VALUES (changed.repository_key, changed.environment_key, at, at);
  END IF;
  RETURN NULL;
END
$$;

-- Updates (statement trigger over the transition tables): where each changed row was and is now,
-- for the rows whose change can alter a figure, one mark per environment.
CREATE OR REPLACE FUNCTION "dora_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('deployledger.dora_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO dora_dirty_since (repository_key, environment_key, since, until)
  SELECT v.r, v.e, min(v.at), max(v.at)
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  CROSS JOIN LATERAL (VALUES
    (o.repository_key, o.environment_key,
     COALESCE(o.deployed_at, CASE WHEN o.state IN ('failure', 'error') THEN o.completed_at END)),
    (n.repository_key, n.environment_key,
     COALESCE(n.deployed_at, CASE WHEN n.state IN ('failure', 'error') THEN n.completed_at END))) AS v(r, e, at)
  WHERE v.at IS NOT NULL
    AND (o.repository_key, o.environment_key, lower(o.sha), o.state IN ('failure', 'error'), o.kind,
         o.deployed_at, o.completed_at, o.commit_at, o.started_at, o.created_at)
        IS DISTINCT FROM
        (n.repository_key, n.environment_key, lower(n.sha), n.state IN ('failure', 'error'), n.kind,
         n.deployed_at, n.completed_at, n.commit_at, n.started_at, n.created_at)
  GROUP BY v.r, v.e;
  RETURN NULL;
END
$$;

DROP FUNCTION "dora_touched_days"(text, text, timestamptz, boolean, text);
