-- The facts a record's kind is decided on (server/ledger/kind.ts), read under the environment's
-- advisory lock: the environment's current deployment (its latest success) and whether the sha
-- reached success there before. The create's one statement (server/db/conditional-writes.ts)
-- takes the lock through this function: a statement's snapshot is taken when it starts, before it
-- waits for the lock, but a VOLATILE function's queries take their own, so these reads see what
-- the lock's previous holder committed (a success that landed while the create waited).
-- `lock_key` is the environment's lock (server/db/environment-lock.ts), `s` a sha in any case.
CREATE FUNCTION "deployment_locked_kind_facts"(lock_key bigint, r text, e text, s text)
RETURNS TABLE (current_sha text, deployed_before boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  RETURN QUERY SELECT
    (SELECT d.sha FROM deployment d
      WHERE d.repository_key = r AND d.environment_key = e AND d.state = 'success'
      ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
    EXISTS (SELECT 1 FROM deployment d
      WHERE d.repository_key = r AND d.environment_key = e
        AND lower(d.sha) = lower(s) AND d.deployed_at IS NOT NULL);
END
$$;
