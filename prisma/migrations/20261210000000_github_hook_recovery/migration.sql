-- Delivery recovery (server/jobs/delivery-recovery.ts): per GitHub hook whose delivery log the
-- server reads, how far it has read, who is reading it now (a lease: once across replicas), and
-- how the last run went (shown on /readyz by every replica).
CREATE TABLE "github_hook_recovery" (
    "hook" TEXT NOT NULL,
    "last_delivery_id" BIGINT,
    "last_delivered_at" TIMESTAMPTZ(3),
    "locked_by" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "succeeded_at" TIMESTAMPTZ(3),
    "retry_at" TIMESTAMPTZ(3),
    "error_kind" TEXT,
    "last_error" TEXT,
    "recovered_total" BIGINT NOT NULL DEFAULT 0,
    "last_recovered_at" TIMESTAMPTZ(3),

    CONSTRAINT "github_hook_recovery_pkey" PRIMARY KEY ("hook")
);
