-- The inbox keeps each delivery's body as it came, as text: the receiver parsed it as JSON before
-- storing it, and the worker parses it again when it folds, so building jsonb on the way in (about
-- a third of the database's work per delivery) and printing it back out on the way to the worker
-- bought nothing. A body is compressed and kept in its row (MAIN) rather than moved to the TOAST
-- table: GitHub's 5–25 KB payloads compress to a few KB, and a row in one place is one heap
-- record and no TOAST index entries in the WAL per delivery.
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" TYPE TEXT USING "payload"::text;
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET STORAGE MAIN;

-- lz4 compresses several times faster than the default pglz, at about the same size for JSON.
-- The embedded database is built without lz4 and keeps pglz.
DO $$
BEGIN
  ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
