-- A row version for optimistic writes: a writer that read version N updates only
-- `WHERE version = N`, and retries when another writer got there first. The trigger bumps it on
-- every UPDATE, whoever writes it (the store, repair, hand-written SQL), so a conditional write
-- can never overwrite a change it did not see.
ALTER TABLE "deployment" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION "deployment_bump_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."version" := OLD."version" + 1;
  RETURN NEW;
END
$$;

CREATE TRIGGER "deployment_version" BEFORE UPDATE ON "deployment"
  FOR EACH ROW EXECUTE FUNCTION "deployment_bump_version"();
