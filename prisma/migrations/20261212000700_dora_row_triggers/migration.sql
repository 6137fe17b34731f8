-- The DORA marking triggers on `deployment` as row triggers with a WHEN (issue 16). The statement
-- triggers of 20261211000200_dora_rollups and 20261211000800_dora_kind ran on every statement and
-- made PostgreSQL keep transition tables of every row it changed: about half of a status report's
-- cost, even when nothing DORA reads changed (a status in progress, a description). A row
-- trigger's WHEN is checked as the row is written; a row that cannot change a figure queues
-- nothing and calls nothing.
--
-- What the rollups read of a record (dora_refresh, 20261212000300_dora_refresh_set): a deployed
-- record (deployed_at set) counts by its environment, deployed_at, kind, began
-- (started_at, else created_at) and commit_at; a failure (state failure or error, not deployed,
-- completed_at set) by its environment and completed_at. dora_touched_days also reads the sha.
-- State counts only as "failure or error": a success retired to inactive changes nothing.
-- `deployledger import` still defers marking (deployledger.dora_deferred) and marks its
-- environments itself at the end (server/db/dora-rollups.ts markDoraDaysFrom).

DROP TRIGGER "deployment_dora_insert" ON "deployment";
DROP TRIGGER "deployment_dora_update" ON "deployment";
DROP TRIGGER "deployment_dora_delete" ON "deployment";
DROP TRIGGER "deployment_dora_kind" ON "deployment";
DROP FUNCTION "dora_mark_dirty"();
DROP FUNCTION "dora_mark_kind"();

-- A record counts at its deployed_at, or a failure at its completed_at; dora_touched_days gives
-- the days a change there can alter.
CREATE FUNCTION "dora_mark_row"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_at timestamptz;
  new_at timestamptz;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_at := COALESCE(OLD.deployed_at, CASE WHEN OLD.state IN ('failure', 'error') THEN OLD.completed_at END);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_at := COALESCE(NEW.deployed_at, CASE WHEN NEW.state IN ('failure', 'error') THEN NEW.completed_at END);
  END IF;
  IF old_at IS NOT NULL AND new_at IS NOT NULL THEN
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT DISTINCT r, e, d FROM (
      SELECT OLD.repository_key, OLD.environment_key, d
      FROM dora_touched_days(OLD.repository_key, OLD.environment_key, old_at, OLD.deployed_at IS NOT NULL, OLD.sha) AS d
      UNION ALL
      SELECT NEW.repository_key, NEW.environment_key, d
      FROM dora_touched_days(NEW.repository_key, NEW.environment_key, new_at, NEW.deployed_at IS NOT NULL, NEW.sha) AS d
    ) AS v(r, e, d);
  ELSIF old_at IS NOT NULL THEN
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT OLD.repository_key, OLD.environment_key, d
    FROM dora_touched_days(OLD.repository_key, OLD.environment_key, old_at, OLD.deployed_at IS NOT NULL, OLD.sha) AS d;
  ELSIF new_at IS NOT NULL THEN
    INSERT INTO dora_dirty (repository_key, environment_key, day)
    SELECT NEW.repository_key, NEW.environment_key, d
    FROM dora_touched_days(NEW.repository_key, NEW.environment_key, new_at, NEW.deployed_at IS NOT NULL, NEW.sha) AS d;
  END IF;
  RETURN NULL;
END
$$;

-- current_setting in the WHEN: an import's rows (deferred) call nothing either.
CREATE TRIGGER "deployment_dora_insert" AFTER INSERT ON "deployment" FOR EACH ROW
  WHEN (current_setting('deployledger.dora_deferred', true) IS DISTINCT FROM 'on'
        AND (NEW.deployed_at IS NOT NULL OR (NEW.state IN ('failure', 'error') AND NEW.completed_at IS NOT NULL)))
  EXECUTE FUNCTION "dora_mark_row"();

CREATE TRIGGER "deployment_dora_update" AFTER UPDATE ON "deployment" FOR EACH ROW
  WHEN (current_setting('deployledger.dora_deferred', true) IS DISTINCT FROM 'on'
        AND (OLD.deployed_at IS NOT NULL OR (OLD.state IN ('failure', 'error') AND OLD.completed_at IS NOT NULL)
             OR NEW.deployed_at IS NOT NULL OR (NEW.state IN ('failure', 'error') AND NEW.completed_at IS NOT NULL))
        AND (OLD.repository_key, OLD.environment_key, lower(OLD.sha), OLD.state IN ('failure', 'error'), OLD.kind,
             OLD.deployed_at, OLD.completed_at, OLD.commit_at, OLD.started_at, OLD.created_at)
            IS DISTINCT FROM
            (NEW.repository_key, NEW.environment_key, lower(NEW.sha), NEW.state IN ('failure', 'error'), NEW.kind,
             NEW.deployed_at, NEW.completed_at, NEW.commit_at, NEW.started_at, NEW.created_at))
  EXECUTE FUNCTION "dora_mark_row"();

CREATE TRIGGER "deployment_dora_delete" AFTER DELETE ON "deployment" FOR EACH ROW
  WHEN (current_setting('deployledger.dora_deferred', true) IS DISTINCT FROM 'on'
        AND (OLD.deployed_at IS NOT NULL OR (OLD.state IN ('failure', 'error') AND OLD.completed_at IS NOT NULL)))
  EXECUTE FUNCTION "dora_mark_row"();

-- Nothing calls it since dora_refresh became one set-based statement (20261212000300): a third
-- copy of the rules (with dora-aggregates.ts and dora_refresh) that no test kept equal.
DROP FUNCTION "dora_compute_day"(text, text, date);
DROP FUNCTION "dora_histogram"(float8[]);
