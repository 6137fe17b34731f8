/**
 * Exponential backoff with "equal jitter": attempt 1 waits between half and all of `baseMs`,
 * each further attempt doubles that, capped at `capMs`. Used by every retrying worker and by the
 * Action's client (action/retry.ts).
 */
export function backoff(attempt: number, baseMs = 1000, capMs = 5 * 60_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
