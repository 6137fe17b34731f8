-- The ledger's two guarantees, on the folded names: one record per (repository, environment,
-- key) and at most one active deployment per (repository, environment), whatever the spelling.
--
-- A database written before this migration may hold records that differ only in the case of a
-- name. They are not folded here: merging records decides states, and only the ledger core does
-- that. `deployledger repair` merges them (dry run first, then --apply); until then this
-- migration stops the start with a message saying so, and changes nothing.
DO $$
DECLARE
    duplicates integer;
BEGIN
    SELECT count(*) INTO duplicates FROM (
        SELECT 1 FROM "deployment"
        GROUP BY "repository_key", "environment_key", "key" HAVING count(*) > 1
        UNION ALL
        SELECT 1 FROM "deployment" WHERE "state" IN ('pending', 'queued', 'in_progress')
        GROUP BY "repository_key", "environment_key" HAVING count(*) > 1
    ) AS clashes;
    IF duplicates > 0 THEN
        RAISE EXCEPTION 'the ledger holds % group(s) of records whose repository or environment names differ only in case. Run `deployledger repair` to see the plan, then `deployledger repair --apply` to merge them, and start again.', duplicates;
    END IF;
END
$$;

DROP INDEX "deployment_repository_environment_key_key";
CREATE UNIQUE INDEX "deployment_repository_environment_key_key" ON "deployment"("repository_key", "environment_key", "key");

DROP INDEX "deployment_one_active_per_environment";
CREATE UNIQUE INDEX "deployment_one_active_per_environment" ON "deployment"("repository_key", "environment_key") WHERE "state" IN ('pending', 'queued', 'in_progress');

-- Superseded by the indexes on the folded names.
DROP INDEX "deployment_env_history_idx";
DROP INDEX "deployment_env_deployed_idx";
DROP INDEX "deployment_env_failed_idx";
