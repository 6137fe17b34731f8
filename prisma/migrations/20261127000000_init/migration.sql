-- CreateTable
CREATE TABLE "deployment" (
    "id" UUID NOT NULL,
    "repository" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "state" TEXT NOT NULL,
    "run_id" BIGINT,
    "run_attempt" INTEGER,
    "github_deployment_id" BIGINT,
    "k8s_namespace" TEXT,
    "k8s_name" TEXT,
    "k8s_revision" TEXT,
    "environment_url" TEXT,
    "log_url" TEXT,
    "description" TEXT,
    "metrics_endpoint" TEXT,
    "fingerprint" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "deployed_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "deployment_state_check" CHECK ("state" IN ('pending', 'queued', 'in_progress', 'success', 'failure', 'error', 'inactive')),
    CONSTRAINT "deployment_key_length_check" CHECK (char_length("key") BETWEEN 1 AND 255)
);

-- CreateTable
CREATE TABLE "deployment_event" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "state" TEXT,
    "applied" BOOLEAN NOT NULL,
    "reason" TEXT,
    "detail" JSONB,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "repository" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "delivery_id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("delivery_id")
);

-- CreateTable
CREATE TABLE "outbox_job" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" UUID,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "dedupe_key" TEXT,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "locked_by" TEXT,
    "locked_at" TIMESTAMPTZ(3),
    "done_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_sample" (
    "id" BIGSERIAL NOT NULL,
    "deployment_id" UUID NOT NULL,
    "phase" TEXT NOT NULL,
    "collected_at" TIMESTAMPTZ(3) NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metric_sample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deployment_repository_environment_key_key" ON "deployment"("repository", "environment", "key");

-- One active deployment per (repository, environment): a partial unique index, which Prisma's
-- schema language cannot express. Active = pending, queued, in_progress.
CREATE UNIQUE INDEX "deployment_one_active_per_environment" ON "deployment"("repository", "environment") WHERE "state" IN ('pending', 'queued', 'in_progress');

-- CreateIndex
CREATE INDEX "deployment_env_history_idx" ON "deployment"("repository", "environment", "created_at" DESC);

-- CreateIndex
CREATE INDEX "deployment_github_deployment_id_idx" ON "deployment"("github_deployment_id");

-- CreateIndex
CREATE INDEX "deployment_run_idx" ON "deployment"("run_id", "run_attempt");

-- CreateIndex
CREATE INDEX "deployment_event_deployment_idx" ON "deployment_event"("deployment_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");

-- CreateIndex
CREATE INDEX "api_key_prefix_idx" ON "api_key"("prefix");

-- CreateIndex
CREATE INDEX "webhook_delivery_pending_idx" ON "webhook_delivery"("processed_at", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_job_dedupe_key_key" ON "outbox_job"("dedupe_key");

-- CreateIndex
CREATE INDEX "outbox_job_due_idx" ON "outbox_job"("done_at", "run_at");

-- CreateIndex
CREATE UNIQUE INDEX "metric_sample_unique" ON "metric_sample"("deployment_id", "phase", "collected_at", "name");

-- AddForeignKey
ALTER TABLE "deployment_event" ADD CONSTRAINT "deployment_event_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outbox_job" ADD CONSTRAINT "outbox_job_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_sample" ADD CONSTRAINT "metric_sample_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
