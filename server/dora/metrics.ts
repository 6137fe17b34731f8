import { Gauge, type Registry } from 'prom-client';
import type { PrismaClient } from '../db/generated/client.ts';
import { computeDora, type DoraReport } from './compute.ts';
import { lastDays } from './window.ts';

const LABELS = ['repository', 'environment'] as const;
const DAY_MS = 24 * 3600 * 1000;
// One scrape reads five gauges; they share one computation.
const REUSE_MS = 5000;

/**
 * DORA gauges per (repository, environment) over the last `windowDays` whole UTC days (today
 * included), from the day rollups at scrape time. A figure with no data (no restore yet, no commit times) is left out.
 */
export function registerDoraMetrics(registry: Registry, prisma: PrismaClient, windowDays: number) {
  let last: { at: number; reports: Promise<DoraReport[]> } | null = null;
  const reports = () => {
    const now = Date.now();
    if (!last || now - last.at > REUSE_MS) {
      const { since, until } = lastDays(windowDays, new Date(now));
      // One trend bucket: the gauges show the window's figures only.
      last = {
        at: now,
        reports: computeDora(prisma, { repositories: null }, { since, until, bucketMs: windowDays * DAY_MS }),
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
    'Deployment frequency: successful deployments per day',
    (r) => r.deploymentsPerDay,
  );
  gauge(
    'deployledger_dora_change_lead_time_seconds',
    'Change lead time: median from commit to deployed_at',
    (r) => r.leadTimeSeconds,
  );
  gauge(
    'deployledger_dora_change_fail_ratio',
    'Change fail rate: failed deployments over finished deployments',
    (r) => r.changeFailureRate,
  );
  gauge(
    'deployledger_dora_failed_deployment_recovery_time_seconds',
    'Failed deployment recovery time: median from a failed deployment to the next success',
    (r) => r.timeToRestoreSeconds,
  );
  gauge(
    'deployledger_dora_deployment_rework_ratio',
    'Deployment rework rate: unplanned (rollback or fix) deployments over successful deployments',
    (r) => r.reworkRate,
  );
}
