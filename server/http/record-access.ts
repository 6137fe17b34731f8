import type { VersionedRecord } from '../db/deployment-sql.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { parseRunKey, runKey } from '../ledger/index.ts';
import { invalidFields } from '../schema-check.ts';
import { assertRepository } from './auth.ts';
import { notFound, Problem } from './problem.ts';

// Which records a request may name: by id (any route), and by run (an OIDC token's own run).

// A record id is a uuid; anything else is simply not found (404).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The record with this id, if one of `repositories` holds it (else 403; none: 404). `read`: as
 * stored now; `recall`: as this process last saw it (LedgerStore.recall), for a conditional write.
 */
export async function readableRecord(
  store: LedgerStore,
  id: string,
  repositories: string[],
  how: 'read' | 'recall' = 'read',
): Promise<VersionedRecord> {
  const read = UUID.test(id) ? await store[how](id) : null;
  if (!read) throw notFound(`No deployment has the id ${id}.`);
  assertRepository({ kind: 'api_key', repositories }, read.record.repository);
  return read;
}

/** An OIDC token acts for its own run only: the key must name that run (else 403). */
export function assertRunMatchesToken(principal: { runId?: number; runAttempt?: number }, key: string): void {
  if (principal.runId === undefined) return;
  const expected = runKey(principal.runId, principal.runAttempt ?? 1);
  if (key !== expected) {
    throw new Problem(
      403,
      'Forbidden',
      `This OIDC token is for run ${expected}; the Idempotency-Key ${key} names another run.`,
    );
  }
}

/**
 * A body's `run_id`/`run_attempt` agree with a key that names a run (else 400 naming them): the
 * record is found by its key and ended by its run, so the two must be one run.
 */
export function assertRunMatchesKey(body: { run_id?: number; run_attempt?: number }, key: string): void {
  const named = parseRunKey(key);
  if (!named) return;
  const message = `does not match the Idempotency-Key ${key}, which names run ${named.runId} attempt ${named.runAttempt}`;
  const issues = [
    ...(body.run_id !== undefined && body.run_id !== named.runId ? [{ field: 'run_id', message }] : []),
    ...(body.run_attempt !== undefined && body.run_attempt !== named.runAttempt
      ? [{ field: 'run_attempt', message }]
      : []),
  ];
  if (issues.length > 0) throw invalidFields(issues);
}
