-- The successes of an environment (GitHub's auto-inactive retires every older one when a
-- deployment succeeds; an import reads them once per batch): at most a few rows per environment,
-- found without reading the environment's history.
CREATE INDEX "deployment_identity_success_idx" ON "deployment"("repository_key", "environment_key") WHERE "state" = 'success';
