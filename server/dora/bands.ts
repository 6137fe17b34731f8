/**
 * Performance bands for the four DORA figures, from the newest State of DevOps report that
 * publishes them: the 2024 Accelerate State of DevOps Report's performance clusters (the 2025
 * report replaced clusters with team archetypes). The clusters' ranges leave gaps and overlaps
 * (e.g. high and medium both recover in "less than one day"); we close each gap by extending the
 * better band up to the next one's lower bound, and give a shared range to the better band, so
 * every value falls into exactly one band. See docs/dashboard.md (DORA figures).
 */
export type Band = 'elite' | 'high' | 'medium' | 'low';

/** The report the bands come from, shown beside every band. */
export const BANDS_REPORT_YEAR = 2024;

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/**
 * Successful deployments per day: elite on demand (more than one a day), high between daily and
 * weekly, medium between weekly and monthly, low rarer.
 */
export function frequencyBand(perDay: number, deployments: number): Band | null {
  if (deployments === 0) return null;
  if (perDay > 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / 30) return 'medium';
  return 'low';
}

/** Median change lead time (commit → deployed): elite under a day, high up to a week, medium up to a month. */
export function leadTimeBand(seconds: number | null): Band | null {
  if (seconds === null) return null;
  if (seconds < DAY) return 'elite';
  if (seconds <= WEEK) return 'high';
  if (seconds <= MONTH) return 'medium';
  return 'low';
}

/**
 * Change fail rate. The 2024 clusters publish one typical rate each, not a range, and they are
 * not in order: elite 5 %, medium 10 %, high 20 %, low 40 %. A rate gets the cluster whose
 * published rate is nearest (boundaries halfway between): up to 7.5 % elite, up to 15 % medium,
 * up to 30 % high, more low.
 */
export function changeFailureBand(rate: number | null): Band | null {
  if (rate === null) return null;
  if (rate <= 0.075) return 'elite';
  if (rate <= 0.15) return 'medium';
  if (rate <= 0.3) return 'high';
  return 'low';
}

/**
 * Median failed deployment recovery time: elite under an hour, high under a day (medium's
 * published range too), medium up to a week (the gap before low's "one week to one month").
 */
export function recoveryBand(seconds: number | null): Band | null {
  if (seconds === null) return null;
  if (seconds < HOUR) return 'elite';
  if (seconds < DAY) return 'high';
  if (seconds < WEEK) return 'medium';
  return 'low';
}
