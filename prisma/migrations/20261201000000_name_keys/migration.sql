-- GitHub compares owner/name and environment names without regard to case: the ledger's identity
-- is the folded name. The keys are computed by the database itself (ASCII letters folded, as
-- lower() under the "C" collation does on PostgreSQL and the embedded database alike), so every
-- writer, old replicas and hand-written SQL included, stores the same key.
ALTER TABLE "deployment"
    ADD COLUMN "repository_key" TEXT GENERATED ALWAYS AS (lower("repository" COLLATE "C")) STORED,
    ADD COLUMN "environment_key" TEXT GENERATED ALWAYS AS (lower("environment" COLLATE "C")) STORED,
    -- GitHub's numeric repository id, where GitHub gives it (webhook payloads, OIDC tokens): it
    -- survives renames and transfers, the name does not.
    ADD COLUMN "repository_id" BIGINT;

-- History of an environment by its folded names (dashboard, skip scans, correlation).
CREATE INDEX "deployment_identity_history_idx" ON "deployment"("repository_key", "environment_key", "created_at" DESC);

-- The records of one GitHub repository, newest first (renames and transfers).
CREATE INDEX "deployment_repository_id_idx" ON "deployment"("repository_id", "created_at" DESC) WHERE "repository_id" IS NOT NULL;

-- DORA figures by folded names.
CREATE INDEX "deployment_identity_deployed_idx" ON "deployment"("repository_key", "environment_key", "deployed_at") WHERE "deployed_at" IS NOT NULL;
CREATE INDEX "deployment_identity_failed_idx" ON "deployment"("repository_key", "environment_key", "completed_at") WHERE "state" IN ('failure', 'error');
