-- DORA over every repository reads one window of history: by when deployments were deployed, and
-- by when failures ended, without scanning the table or a per-environment index whole.
CREATE INDEX "deployment_deployed_at_idx" ON "deployment"("deployed_at") WHERE "deployed_at" IS NOT NULL;
CREATE INDEX "deployment_failed_completed_idx" ON "deployment"("completed_at")
  WHERE "state" IN ('failure', 'error') AND "deployed_at" IS NULL;

-- Deployment rework: "was this sha deployed to the environment before?" is one probe, not a walk
-- of the environment's history (shas compare case-blind).
CREATE INDEX "deployment_identity_sha_deployed_idx" ON "deployment"("repository_key", "environment_key", lower("sha"), "deployed_at")
  WHERE "deployed_at" IS NOT NULL;
