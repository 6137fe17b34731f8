-- The delivery worker claims pending deliveries in arrival order (queue.ts: done_at IS NULL,
-- ORDER BY received_at, delivery_id, LIMIT n). The index on (done_at, received_at) could not give
-- that order (rows of one write share their received_at, so delivery_id breaks the tie): with
-- every row pending, each claim read and sorted all of them — 190 ms a claim of 100 at 154 000
-- pending, on disk. This index holds the pending rows only, in the claim's order: a claim reads
-- the rows it takes (5 ms there), and finishing a delivery adds no entry to it. IF NOT EXISTS: it
-- can be built CONCURRENTLY by hand before the upgrade (docs/operations.md).
CREATE INDEX IF NOT EXISTS "webhook_delivery_pending_idx" ON "webhook_delivery"("received_at", "delivery_id")
  WHERE "done_at" IS NULL;
DROP INDEX IF EXISTS "webhook_delivery_due_idx";
