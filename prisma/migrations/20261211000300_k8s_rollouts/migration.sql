-- A record's expected workloads and clusters and each one's rollout progress (issue 19): one
-- JSON document per record, written with the row by the ledger store. Null: none named or seen.
ALTER TABLE "deployment" ADD COLUMN "k8s_rollouts" JSONB;
