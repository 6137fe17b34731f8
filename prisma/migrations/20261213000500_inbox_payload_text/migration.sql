-- The inbox keeps each delivery's body as it came, as text: the receiver parsed it as JSON before
-- storing it, and the worker parses it again when it folds, so building jsonb on the way in (about
-- a third of the database's work per delivery) and printing it back out on the way to the worker
-- bought nothing. Query it with `payload::json`.
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" TYPE TEXT USING "payload"::text;

-- lz4 compresses several times faster than the default pglz, at about the same size for JSON.
-- The body still moves to the TOAST table once compressed (storage stays EXTENDED): kept in the
-- row, each update of the queue's columns (claim, done) would write the whole body to the WAL
-- again. The embedded database is built without lz4 and keeps pglz.
DO $$
BEGIN
  ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
