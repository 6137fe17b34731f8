-- Lead time for changes needs the deployed commit's time; producers send it when they know it.
ALTER TABLE "deployment" ADD COLUMN "commit_at" TIMESTAMPTZ(3);

-- DORA figures: successes of an environment by the time they became available…
CREATE INDEX "deployment_env_deployed_idx" ON "deployment"("repository", "environment", "deployed_at") WHERE "deployed_at" IS NOT NULL;

-- …and failures of an environment by the time they ended.
CREATE INDEX "deployment_env_failed_idx" ON "deployment"("repository", "environment", "completed_at") WHERE "state" IN ('failure', 'error');
