-- Cheaper creates and status reports (issue 16). Each index of `deployment` is written on every
-- insert and on every update that is not HOT (a state change), each index of `deployment_event`
-- on every decision; the version trigger ran PL/pgSQL on every update.

-- GitHub's deployment id and the workflow run are looked up by value only (delivery correlation,
-- the batch writer's read, the protection rule's own record, a run's records): every such query
-- compares the column with `=`, which implies IS NOT NULL, so a partial index serves it. A record
-- without them (a create before its GitHub deployment exists; a record not made by a workflow)
-- no longer writes an entry of NULLs into either.
DROP INDEX "deployment_github_deployment_id_idx";
CREATE INDEX "deployment_github_deployment_id_idx" ON "deployment"("github_deployment_id")
  WHERE "github_deployment_id" IS NOT NULL;
DROP INDEX "deployment_run_idx";
CREATE INDEX "deployment_run_idx" ON "deployment"("run_id", "run_attempt") WHERE "run_id" IS NOT NULL;

-- A timeline is only ever read by its deployment, in id order (the API, the dashboard, the k8s
-- lookups, check): the primary key (deployment_id, id) is that index, so the event row writes one
-- index instead of two (the primary key on id alone served no query). The id still comes from the
-- sequence, so it stays unique and gives the order events were written in.
CREATE UNIQUE INDEX "deployment_event_pkey_new" ON "deployment_event"("deployment_id", "id");
ALTER TABLE "deployment_event" DROP CONSTRAINT "deployment_event_pkey";
DROP INDEX "deployment_event_deployment_idx";
ALTER INDEX "deployment_event_pkey_new" RENAME TO "deployment_event_pkey";
ALTER TABLE "deployment_event" ADD CONSTRAINT "deployment_event_pkey" PRIMARY KEY USING INDEX "deployment_event_pkey";

-- The row version: the hot statements (conditional-writes.ts, bulk-write.ts) bump it themselves
-- (`version = version + 1`), and the trigger runs only for a write that did not, so every writer
-- still moves it to exactly OLD + 1 and no conditional write can overwrite a change it did not see.
DROP TRIGGER "deployment_version" ON "deployment";
CREATE TRIGGER "deployment_version" BEFORE UPDATE ON "deployment"
  FOR EACH ROW WHEN (NEW."version" IS DISTINCT FROM OLD."version" + 1)
  EXECUTE FUNCTION "deployment_bump_version"();
