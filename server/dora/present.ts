import type { DoraReport } from './compute.ts';

/** A report as GET /v1/dora shows it: snake_case, ISO times, durations in seconds. */
export function presentDora(report: DoraReport) {
  return {
    repository: report.repository,
    environment: report.environment,
    since: report.since.toISOString(),
    until: report.until.toISOString(),
    deployment_frequency: {
      deployments: report.deployments,
      per_day: report.deploymentsPerDay,
      band: report.frequencyBand,
    },
    lead_time_for_changes: {
      median_seconds: report.leadTimeSeconds,
      samples: report.leadTimeSamples,
      band: report.leadTimeBand,
    },
    change_failure_rate: {
      rate: report.changeFailureRate,
      failed: report.failures,
      finished: report.deployments + report.failures,
      band: report.changeFailureBand,
    },
    time_to_restore: {
      median_seconds: report.timeToRestoreSeconds,
      incidents: report.incidents,
      restored: report.restored,
      unrestored: report.incidents - report.restored,
      band: report.restoreBand,
    },
    trend: report.trend.map((point) => ({
      start: point.start.toISOString(),
      end: point.end.toISOString(),
      deployments: point.deployments,
      failures: point.failures,
      change_failure_rate: point.changeFailureRate,
      lead_time_median_seconds: point.leadTimeSeconds,
      time_to_restore_median_seconds: point.timeToRestoreSeconds,
    })),
  };
}
