// The key of a workflow run attempt, `<run_id>-<run_attempt>`: the Action sends it as the
// Idempotency-Key, and deliveries of the same run find the record by it. Built and read only here.

/**
 * The largest run attempt a record holds (a 32-bit integer, as the database stores it). A run id
 * is at most Number.MAX_SAFE_INTEGER, as JSON numbers are read; GitHub's are far below both.
 */
export const MAX_RUN_ATTEMPT = 2_147_483_647;

export function runKey(runId: number, runAttempt: number): string {
  return `${runId}-${runAttempt}`;
}

/**
 * The run attempt a key names, or null for a key of another form. Numbers beyond what a record
 * holds name no run: such a key is an ordinary key, not a request that fails when it is stored.
 */
export function parseRunKey(key: string): { runId: number; runAttempt: number } | null {
  const match = /^(\d+)-(\d+)$/.exec(key);
  if (!match) return null;
  const runId = Number(match[1]);
  const runAttempt = Number(match[2]);
  return Number.isSafeInteger(runId) && runAttempt <= MAX_RUN_ATTEMPT ? { runId, runAttempt } : null;
}
