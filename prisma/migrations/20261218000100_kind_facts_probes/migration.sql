-- The kind facts' reads (deployment_locked_kind_facts, migration 20261212000100, and its batch
-- form, 20261217000100) are probes of the deployment table's indexes by environment. PL/pgSQL
-- keeps a query's plan for the connection's life, until the table's statistics change, and a plan
-- made while the table was small (a new database in its first seconds of creates) read the table
-- whole: a sequential scan for each environment's current deployment, and the "deployed before"
-- EXISTS as one hashed scan of every deployed row, on every call, as the table grew (the bench's
-- creates: PostgreSQL's CPU a create 197–244 µs with that plan kept, 44–64 µs with the probes).
-- Now "deployed before" is a scalar LIMIT 1 subquery, which PostgreSQL runs per environment and
-- never hashes, and neither function plans a sequential scan, whatever the table's size then.
-- The one-environment function is the batch's with one item, so the facts are read in one place.
CREATE OR REPLACE FUNCTION "deployment_locked_kind_facts_batch"(ords bigint[], lock_keys bigint[], rs text[], es text[], shas text[])
RETURNS TABLE (ord bigint, current_sha text, deployed_before boolean)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$
DECLARE
  lock_key bigint;
BEGIN
  IF lock_keys IS NULL THEN
    RETURN;
  END IF;
  FOREACH lock_key IN ARRAY lock_keys LOOP
    PERFORM pg_advisory_xact_lock(lock_key);
  END LOOP;
  RETURN QUERY SELECT i.o,
    (SELECT d.sha FROM deployment d
      WHERE d.repository_key = i.r AND d.environment_key = i.e AND d.state = 'success'
      ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
    COALESCE((SELECT true FROM deployment d
      WHERE d.repository_key = i.r AND d.environment_key = i.e
        AND lower(d.sha) = lower(i.s) AND d.deployed_at IS NOT NULL LIMIT 1), false)
  FROM unnest(ords, rs, es, shas) AS i(o, r, e, s);
END
$$;

CREATE OR REPLACE FUNCTION "deployment_locked_kind_facts"(lock_key bigint, r text, e text, s text)
RETURNS TABLE (current_sha text, deployed_before boolean)
LANGUAGE sql VOLATILE AS $$
  SELECT f.current_sha, f.deployed_before
  FROM deployment_locked_kind_facts_batch(ARRAY[1::bigint], ARRAY[lock_key], ARRAY[r], ARRAY[e], ARRAY[s]) f
$$;
