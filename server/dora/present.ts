import { BANDS_REPORT_YEAR, type Band } from './bands.ts';
import type { DoraReport } from './compute.ts';
import { REWORK_AFTER_FAILURE_MINUTES } from './rework.ts';

/** A band with the year of the report it comes from beside it (both null without data). */
function banded(band: Band | null) {
  return { band, band_year: band === null ? null : BANDS_REPORT_YEAR };
}

// Every report of one computeDora shares its trend's bound instants: each is printed once.
const printed = new WeakMap<Date, string>();
function iso(at: Date): string {
  let text = printed.get(at);
  if (text === undefined) {
    text = at.toISOString();
    printed.set(at, text);
  }
  return text;
}

/**
 * A report as GET /v1/dora shows it: snake_case, ISO times, durations in seconds, under DORA's
 * current names (change lead time, change fail rate, failed deployment recovery time, deployment
 * rework rate).
 */
export function presentDora(report: DoraReport) {
  return {
    repository: report.repository,
    environment: report.environment,
    since: report.since.toISOString(),
    until: report.until.toISOString(),
    deployment_frequency: {
      deployments: report.deployments,
      per_day: report.deploymentsPerDay,
      ...banded(report.frequencyBand),
    },
    change_lead_time: {
      median_seconds: report.leadTimeSeconds,
      samples: report.leadTimeSamples,
      ...banded(report.leadTimeBand),
    },
    change_fail_rate: {
      rate: report.changeFailureRate,
      failed: report.failures,
      finished: report.deployments + report.failures,
      ...banded(report.changeFailureBand),
    },
    failed_deployment_recovery_time: {
      median_seconds: report.timeToRestoreSeconds,
      failures: report.incidents,
      recovered: report.restored,
      recovered_by_rollback: report.restoredByRollback,
      unrecovered: report.incidents - report.restored,
      ...banded(report.restoreBand),
    },
    deployment_rework_rate: {
      rate: report.reworkRate,
      rework: report.rework,
      deployments: report.deployments,
      rollbacks: report.reworkRollbacks,
      // The same count under its name before deployments had a kind (kept for existing readers).
      redeploys: report.reworkRollbacks,
      after_failure: report.reworkAfterFailure,
      after_failure_minutes: REWORK_AFTER_FAILURE_MINUTES,
    },
    trend: report.trend.map((point) => ({
      start: iso(point.start),
      end: iso(point.end),
      deployments: point.deployments,
      failures: point.failures,
      change_fail_rate: point.changeFailureRate,
      change_lead_time_median_seconds: point.leadTimeSeconds,
      failed_deployment_recovery_median_seconds: point.timeToRestoreSeconds,
      deployment_rework_rate: point.reworkRate,
    })),
  };
}
