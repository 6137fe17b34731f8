-- deployment_locked_kind_facts (migration 20261212000100) for a batch of creates in one call: a
-- batch statement (server/db/batched-opens.ts) called that function once per create, and the
-- calls cost about a fifth of the statement. This takes the environments' advisory locks in the
-- order given (callers pass them sorted by name, the order every writer takes several in), then
-- reads each one's facts in one query, which as a VOLATILE function's own sees what the locks'
-- previous holders committed. `ords` come back as they went in: the caller's item numbers.
CREATE FUNCTION "deployment_locked_kind_facts_batch"(ords bigint[], lock_keys bigint[], rs text[], es text[], shas text[])
RETURNS TABLE (ord bigint, current_sha text, deployed_before boolean)
LANGUAGE plpgsql VOLATILE AS $$
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
    EXISTS (SELECT 1 FROM deployment d
      WHERE d.repository_key = i.r AND d.environment_key = i.e
        AND lower(d.sha) = lower(i.s) AND d.deployed_at IS NOT NULL)
  FROM unnest(ords, rs, es, shas) AS i(o, r, e, s);
END
$$;
