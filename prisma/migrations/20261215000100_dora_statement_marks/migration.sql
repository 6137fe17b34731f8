-- DORA marking of updates per statement, set-based over its transition tables (issue 16). The row
-- trigger of 20261212000700_dora_row_triggers called dora_mark_row once per changed row, each a
-- PL/pgSQL call and a planned INSERT … SELECT: the watcher's batch that moves 400 records to
-- success in one UPDATE spent most of its time there. Now one statement marks the days of every
-- row that changed (dora_touched_days called from it, row by row, in one INSERT … SELECT). Which
-- rows count and which days are marked stay those of dora_mark_row and its WHEN; inserts and
-- deletes keep their row triggers.
DROP TRIGGER "deployment_dora_update" ON "deployment";

CREATE FUNCTION "dora_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('deployledger.dora_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- The row trigger's WHEN: most updates (a status in progress, a description, a success retired
  -- to inactive) change nothing a figure reads, and this probe is cheaper than the marking below.
  IF NOT EXISTS (
    SELECT FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.deployed_at IS NOT NULL OR (o.state IN ('failure', 'error') AND o.completed_at IS NOT NULL)
           OR n.deployed_at IS NOT NULL OR (n.state IN ('failure', 'error') AND n.completed_at IS NOT NULL))
      AND (o.repository_key, o.environment_key, lower(o.sha), o.state IN ('failure', 'error'), o.kind,
           o.deployed_at, o.completed_at, o.commit_at, o.started_at, o.created_at)
          IS DISTINCT FROM
          (n.repository_key, n.environment_key, lower(n.sha), n.state IN ('failure', 'error'), n.kind,
           n.deployed_at, n.completed_at, n.commit_at, n.started_at, n.created_at)) THEN
    RETURN NULL;
  END IF;
  -- A record counts at its deployed_at, or a failure at its completed_at: both where it was and
  -- where it is now.
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
    WHERE (o.repository_key, o.environment_key, lower(o.sha), o.state IN ('failure', 'error'), o.kind,
           o.deployed_at, o.completed_at, o.commit_at, o.started_at, o.created_at)
          IS DISTINCT FROM
          (n.repository_key, n.environment_key, lower(n.sha), n.state IN ('failure', 'error'), n.kind,
           n.deployed_at, n.completed_at, n.commit_at, n.started_at, n.created_at)
  ) c
  CROSS JOIN LATERAL dora_touched_days(c.repository_key, c.environment_key, c.at, c.deployed, c.sha) AS t(day)
  WHERE c.at IS NOT NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER "deployment_dora_update" AFTER UPDATE ON "deployment"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "dora_mark_updated"();
