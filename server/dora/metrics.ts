import { Gauge, type Registry } from 'prom-client';
import type { PrismaClient } from '../db/generated/client.ts';
import { computeDora, type DoraReport } from './compute.ts';
import { bucketFor } from './window.ts';

const LABELS = ['repository', 'environment'] as const;
const DAY_MS = 24 * 3600 * 1000;
// One scrape reads four gauges; they share one computation.
const REUSE_MS = 5000;

/**
 * DORA gauges per (repository, environment) over the trailing `windowDays`, computed in the
 * database at scrape time. A figure with no data (no restore yet, no commit times) is left out.
 */
export function registerDoraMetrics(registry: Registry, prisma: PrismaClient, windowDays: number) {
  let last: { at: number; reports: Promise<DoraReport[]> } | null = null;
  const reports = () => {
    const now = Date.now();
    if (!last || now - last.at > REUSE_MS) {
      const until = new Date(now);
      const since = new Date(now - windowDays * DAY_MS);
      const span = until.getTime() - since.getTime();
      last = {
        at: now,
        reports: computeDora(
          prisma,
          { repositories: null },
          { since, until, bucketMs: Math.max(span, bucketFor(span)) },
        ),
      };
      last.reports.catch(() => {});
    }
    return last.reports;
  };

  const gauge = (name: string, help: string, value: (report: DoraReport) => number | null) =>
    new Gauge({
      name,
      help: `${help} (trailing ${windowDays} days)`,
      labelNames: LABELS,
      registers: [registry],
      async collect() {
        this.reset();
        for (const report of await reports()) {
          const figure = value(report);
          if (figure !== null)
            this.set({ repository: report.repository, environment: report.environment }, figure);
        }
      },
    });

  gauge(
    'deployledger_dora_deployments_per_day',
    'Successful deployments per day',
    (r) => r.deploymentsPerDay,
  );
  gauge(
    'deployledger_dora_lead_time_seconds',
    'Median lead time for changes, commit to deployed_at',
    (r) => r.leadTimeSeconds,
  );
  gauge(
    'deployledger_dora_change_failure_ratio',
    'Failed deployments over finished deployments',
    (r) => r.changeFailureRate,
  );
  gauge(
    'deployledger_dora_time_to_restore_seconds',
    'Median time from a failed deployment to the next success',
    (r) => r.timeToRestoreSeconds,
  );
}
