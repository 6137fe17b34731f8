import { z } from 'zod';

/** What a time outside inStoredYears is told. */
export const STORED_YEARS = 'must be a time between 1970 and 9999';

/** Whether a time falls in the years 1970–9999 (UTC). */
export function inStoredYears(time: Date): boolean {
  const year = time.getUTCFullYear();
  return year >= 1970 && year <= 9999;
}

/**
 * An ISO 8601 time with its offset, as an API takes one: of the years 1970–9999, which every
 * time we store and answer can hold (PostgreSQL refuses year 0 and reads no year of five digits;
 * a time before 1970 names no deployment). Outside them it is the client's mistake, a 400.
 */
export const instant = z.iso.datetime({ offset: true }).refine((value) => {
  // A value that is no ISO time at all is named once, by the format's own check.
  const time = new Date(value);
  return Number.isNaN(time.getTime()) || inStoredYears(time);
}, STORED_YEARS);
