-- A stored delivery is claimed by one worker at a time for a lease; a crashed worker's claim
-- expires and another worker takes the delivery over.
ALTER TABLE "webhook_delivery" ADD COLUMN "locked_until" TIMESTAMPTZ(3);

-- Outbound work is done in order per deployment: the worker looks for the oldest open job of each.
CREATE INDEX "outbox_job_open_per_deployment_idx" ON "outbox_job"("deployment_id", "id") WHERE "done_at" IS NULL;
