-- A deployment's kind (server/ledger/kind.ts): forward, redeploy or rollback. A constant default
-- is a catalog change (no table rewrite), and the check is added NOT VALID (no scan under an
-- exclusive lock): instant on millions of rows. History keeps 'forward' (docs/api.md says so);
-- every record opened from now on, an import's included, gets its kind decided.
ALTER TABLE "deployment" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'forward';
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_kind_check"
  CHECK ("kind" IN ('forward', 'redeploy', 'rollback')) NOT VALID;
