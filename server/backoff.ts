/**
 * Exponential backoff with jitter: attempt 1 waits between half and all of `baseMs`, each
 * further attempt doubles that, capped at `capMs`. Used by every retrying worker.
 */
export function backoff(attempt: number, baseMs = 1000, capMs = 5 * 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
