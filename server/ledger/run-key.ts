// The key of a workflow run attempt, `<run_id>-<run_attempt>`: the Action sends it as the
// Idempotency-Key, and deliveries of the same run find the record by it. Built and read only here.

export function runKey(runId: number, runAttempt: number): string {
  return `${runId}-${runAttempt}`;
}

/** The run attempt a key names, or null for a key of another form. */
export function parseRunKey(key: string): { runId: number; runAttempt: number } | null {
  const match = /^(\d+)-(\d+)$/.exec(key);
  return match ? { runId: Number(match[1]), runAttempt: Number(match[2]) } : null;
}
