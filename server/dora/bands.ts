/**
 * Performance bands for the four DORA figures. The State of DevOps reports publish bands with
 * gaps and overlaps between them (e.g. 2021: high lead time "between one day and one week",
 * elite "less than one hour"); we close each gap by extending the better band up to the next
 * one's lower bound, so every value falls into exactly one band. See the README section.
 */
export type Band = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const SIX_MONTHS = 182 * DAY;

/** Successful deployments per day: elite on demand (at least daily), high at least weekly, medium at least monthly. */
export function frequencyBand(perDay: number, deployments: number): Band | null {
  if (deployments === 0) return null;
  if (perDay >= 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / 30) return 'medium';
  return 'low';
}

/** Median commit → deployed: elite under an hour, high up to a week, medium up to six months. */
export function leadTimeBand(seconds: number | null): Band | null {
  if (seconds === null) return null;
  if (seconds < HOUR) return 'elite';
  if (seconds <= WEEK) return 'high';
  if (seconds <= SIX_MONTHS) return 'medium';
  return 'low';
}

/** Failed share of finished deployments: elite up to 15 %, high up to 30 %, medium up to 45 %. */
export function changeFailureBand(rate: number | null): Band | null {
  if (rate === null) return null;
  if (rate <= 0.15) return 'elite';
  if (rate <= 0.3) return 'high';
  if (rate <= 0.45) return 'medium';
  return 'low';
}

/** Median failure → next success: elite under an hour, high under a day, medium up to a week. */
export function restoreBand(seconds: number | null): Band | null {
  if (seconds === null) return null;
  if (seconds < HOUR) return 'elite';
  if (seconds < DAY) return 'high';
  if (seconds <= WEEK) return 'medium';
  return 'low';
}
