/**
 * A deployment started this soon after a failed deployment of its environment ended is taken
 * for a fix of that failure (rework), not a planned change.
 */
export const REWORK_AFTER_FAILURE_MINUTES = 60;
