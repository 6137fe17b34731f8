import { z } from 'zod';
import { instant } from '../instant.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface DoraWindow {
  since: Date;
  until: Date;
  /** Width of one trend bucket; buckets start at `since`. */
  bucketMs: number;
}

export const DEFAULT_WINDOW_DAYS = 30;
const MAX_WINDOW_DAYS = 3 * 366;

/** The trend's resolution: days for short windows, weeks up to ~4 months, then 30-day buckets. */
export function bucketFor(spanMs: number): number {
  if (spanMs <= 31 * DAY_MS) return DAY_MS;
  if (spanMs <= 120 * DAY_MS) return 7 * DAY_MS;
  return 30 * DAY_MS;
}

export const windowQuerySchema = z.object({
  since: instant.optional(),
  until: instant.optional(),
});

/**
 * The last `days` whole UTC days, today included: [midnight `days − 1` days ago, next midnight).
 * Whole days are what the DORA rollups answer, so the defaults are whole days.
 */
export function lastDays(days: number, now: Date = new Date()): DoraWindow {
  const until = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
  const since = new Date(until.getTime() - days * DAY_MS);
  return { since, until, bucketMs: bucketFor(until.getTime() - since.getTime()) };
}

/**
 * [since, until): instants, so `2026-03-01T00:00:00+02:00` and `2026-02-28T22:00:00Z` are the
 * same bound. Defaults: until = the next UTC midnight (today included), since = until − 30 days.
 */
export function resolveWindow(
  query: { since?: string | undefined; until?: string | undefined },
  now: Date = new Date(),
): DoraWindow | { error: string } {
  const until = query.until ? new Date(query.until) : lastDays(1, now).until;
  const since = query.since
    ? new Date(query.since)
    : new Date(until.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  const span = until.getTime() - since.getTime();
  if (span <= 0) return { error: 'since must be before until.' };
  if (span > MAX_WINDOW_DAYS * DAY_MS)
    return { error: `The window may span at most ${MAX_WINDOW_DAYS} days.` };
  return { since, until, bucketMs: bucketFor(span) };
}

export function windowDays(window: { since: Date; until: Date }): number {
  return (window.until.getTime() - window.since.getTime()) / DAY_MS;
}
