import { DateTime } from 'luxon';
import type { FreezeWindow } from './config.ts';

const WEEKDAY = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 } as const;

/** The first freeze window that contains `at`, if any. */
export function activeFreezeWindow(windows: FreezeWindow[], at: Date): FreezeWindow | null {
  return windows.find((window) => contains(window, at)) ?? null;
}

function contains(window: FreezeWindow, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: window.time_zone });
  if ('weekly' in window) return insideWeekly(window.weekly, local);
  const from = DateTime.fromISO(window.from, { zone: window.time_zone });
  const until = DateTime.fromISO(window.until, { zone: window.time_zone });
  return local >= from && local < until;
}

/**
 * A weekly window starts on each listed day at `from` and ends at `until` the same day, or the
 * next day when `until` is not after `from` (22:00–06:00 covers the night).
 */
function insideWeekly(
  weekly: { days: Array<keyof typeof WEEKDAY>; from: string; until: string },
  local: DateTime,
) {
  const days = new Set<number>(weekly.days.map((day) => WEEKDAY[day]));
  const minute = local.hour * 60 + local.minute;
  const from = minutes(weekly.from);
  const until = minutes(weekly.until);
  if (until > from) return days.has(local.weekday) && minute >= from && minute < until;
  const yesterday = local.minus({ days: 1 }).weekday;
  return (days.has(local.weekday) && minute >= from) || (days.has(yesterday) && minute < until);
}

function minutes(clock: string): number {
  const [hours, mins] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
}

/** How a window reads in a comment: its name and when it applies. */
export function describeWindow(window: FreezeWindow): string {
  const when =
    'weekly' in window
      ? `${window.weekly.days.join(', ')} ${window.weekly.from}–${window.weekly.until}`
      : `${window.from} – ${window.until}`;
  return `"${window.name}" (${when} ${window.time_zone})`;
}
