-- The protection rule asks whether a record's job is held or was rejected by it (then that job
-- deployed nothing, and the gate does not wait for it): by the job's workflow run
-- (server/db/superseded-rollouts.ts, jobKeptBackByRule). Decided requests accumulate, one per
-- protected job; without an index each question would read them all.
CREATE INDEX "protection_request_run_id_idx" ON "protection_request"("run_id");
