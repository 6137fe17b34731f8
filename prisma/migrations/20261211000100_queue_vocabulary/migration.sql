-- One vocabulary for the queues (server/db/queue.ts): `run_at` (eligible from), `locked_by` (the
-- worker holding it), `locked_until` (lease end), `attempts`, `last_error`, `done_at` (finished:
-- applied, given up, or kept unprocessable). Every statement is metadata-only (renames, nullable
-- columns, a column whose default is evaluated once), so it is fast on large tables; no backfill
-- is needed: a delivery's retry delay already sits in `locked_until`, and an outbox job's lease
-- in `run_at`, which the new claim still waits out.

-- webhook_delivery: processed_at → done_at; run_at and locked_by added.
ALTER TABLE "webhook_delivery" RENAME COLUMN "processed_at" TO "done_at";
ALTER TABLE "webhook_delivery" ADD COLUMN "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "webhook_delivery" ADD COLUMN "locked_by" TEXT;
ALTER INDEX "webhook_delivery_pending_idx" RENAME TO "webhook_delivery_due_idx";

-- outbox_job: the lease gets its own column instead of pushing run_at; locked_at goes.
ALTER TABLE "outbox_job" ADD COLUMN "locked_until" TIMESTAMPTZ(3);
ALTER TABLE "outbox_job" DROP COLUMN "locked_at";

-- github_hook_recovery: "not before" (a rate limit's end) is run_at too.
ALTER TABLE "github_hook_recovery" RENAME COLUMN "retry_at" TO "run_at";
