import { type AggregateRow, aggregateDora, knownEnvironments, type Scope } from '../db/dora-aggregates.ts';
import { type ReworkRow, reworkCounts } from '../db/dora-rework.ts';
import { rollupRows } from '../db/dora-rollups.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { foldName, sameName } from '../ledger/index.ts';
import { type Band, changeFailureBand, frequencyBand, leadTimeBand, recoveryBand } from './bands.ts';
import { REWORK_AFTER_FAILURE_MINUTES } from './rework.ts';
import { figuresFromRollups, isWholeDays } from './rollup-figures.ts';
import { type DoraWindow, windowDays } from './window.ts';

export interface DoraFigures {
  deployments: number;
  deploymentsPerDay: number;
  frequencyBand: Band | null;
  leadTimeSeconds: number | null;
  leadTimeSamples: number;
  leadTimeBand: Band | null;
  failures: number;
  changeFailureRate: number | null;
  changeFailureBand: Band | null;
  incidents: number;
  restored: number;
  /** …of them, restored by a rollback (the success that ended the failure was one). */
  restoredByRollback: number;
  /** Failed deployment recovery time (median). */
  timeToRestoreSeconds: number | null;
  restoreBand: Band | null;
  /** Deployment rework rate: rework / deployments; no band (the 2024 report publishes none). */
  rework: number;
  reworkRollbacks: number;
  reworkAfterFailure: number;
  reworkRate: number | null;
}

export interface TrendPoint {
  start: Date;
  end: Date;
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  leadTimeSeconds: number | null;
  timeToRestoreSeconds: number | null;
  reworkRate: number | null;
}

export interface DoraReport extends DoraFigures {
  repository: string;
  environment: string;
  since: Date;
  until: Date;
  trend: TrendPoint[];
}

const EMPTY: Omit<AggregateRow, 'repository' | 'environment' | 'bucket'> = {
  deployments: 0,
  failures: 0,
  lead_samples: 0,
  lead_median: null,
  incidents: 0,
  restored: 0,
  restored_by_rollback: 0,
  restore_median: null,
};

const NO_REWORK: Omit<ReworkRow, 'repository' | 'environment' | 'bucket'> = {
  rework: 0,
  rollbacks: 0,
  after_failure: 0,
};

/** The five figures of one window, from its aggregate and rework rows. */
export function figuresOf(
  row: typeof EMPTY,
  days: number,
  rework: typeof NO_REWORK = NO_REWORK,
): DoraFigures {
  const finished = row.deployments + row.failures;
  const rate = finished > 0 ? row.failures / finished : null;
  const perDay = days > 0 ? row.deployments / days : 0;
  return {
    deployments: row.deployments,
    deploymentsPerDay: perDay,
    frequencyBand: frequencyBand(perDay, row.deployments),
    leadTimeSeconds: row.lead_median,
    leadTimeSamples: row.lead_samples,
    leadTimeBand: leadTimeBand(row.lead_median),
    failures: row.failures,
    changeFailureRate: rate,
    changeFailureBand: changeFailureBand(rate),
    incidents: row.incidents,
    restored: row.restored,
    restoredByRollback: row.restored_by_rollback,
    timeToRestoreSeconds: row.restore_median,
    restoreBand: recoveryBand(row.restore_median),
    ...reworkFigures(rework, row.deployments),
  };
}

function reworkFigures(rework: typeof NO_REWORK, deployments: number) {
  return {
    rework: rework.rework,
    reworkRollbacks: rework.rollbacks,
    reworkAfterFailure: rework.after_failure,
    reworkRate: deployments > 0 ? rework.rework / deployments : null,
  };
}

/** How the figures are read: `rollups` only for windows of whole UTC days. */
export type DoraSource = 'auto' | 'rollups' | 'deployments';

/**
 * The window's aggregate and rework rows: from the day rollups when the window is made of whole
 * UTC days (the cost follows the days and environments shown), else from the deployments.
 */
export async function windowRows(
  prisma: PrismaClient,
  scope: Scope,
  window: DoraWindow,
  source: DoraSource,
): Promise<[AggregateRow[], ReworkRow[]]> {
  if (source === 'rollups' || (source === 'auto' && isWholeDays(window))) {
    const { aggregates, rework } = figuresFromRollups(await rollupRows(prisma, scope, window));
    return [aggregates, rework];
  }
  return Promise.all([
    aggregateDora(prisma, scope, window),
    reworkCounts(prisma, scope, window, REWORK_AFTER_FAILURE_MINUTES),
  ]);
}

/**
 * DORA figures per (repository, environment) in scope over the window, with the trend. An
 * environment with deployments only outside the window is reported with zeros.
 */
export async function computeDora(
  prisma: PrismaClient,
  scope: Scope,
  window: DoraWindow,
  source: DoraSource = 'auto',
): Promise<DoraReport[]> {
  const [[rows, reworkRows], environments] = await Promise.all([
    windowRows(prisma, scope, window, source),
    knownEnvironments(prisma, scope),
  ]);
  // An environment asked for by name is reported even before its first deployment.
  if (scope.environment && scope.repositories) {
    for (const repository of scope.repositories) {
      const environment = scope.environment;
      if (
        !environments.some((e) => sameName(e.repository, repository) && sameName(e.environment, environment))
      )
        environments.push({ repository, environment });
    }
  }
  return assembleReports(environments, rows, reworkRows, window);
}

/**
 * The reports of `environments`, in their order, from the window's rows (the environments the
 * rows name and no other: an environment without a row is reported with zeros).
 */
export function assembleReports(
  environments: Array<{ repository: string; environment: string }>,
  rows: AggregateRow[],
  reworkRows: ReworkRow[],
  window: DoraWindow,
): DoraReport[] {
  const bucketCount = Math.ceil((window.until.getTime() - window.since.getTime()) / window.bucketMs);
  // The same buckets for every environment: their bounds are made once.
  const bounds = Array.from({ length: bucketCount }, (_, bucket) => {
    const start = new Date(window.since.getTime() + bucket * window.bucketMs);
    return { start, end: new Date(Math.min(start.getTime() + window.bucketMs, window.until.getTime())) };
  });
  // Rows by environment, then bucket: with every repository in scope there are thousands of each.
  const aggregates = byCell(rows, bucketCount);
  const reworks = byCell(reworkRows, bucketCount);
  return environments.map(({ repository, environment }) => {
    const key = environmentKey(foldName(repository), foldName(environment));
    const cells = aggregates.get(key);
    const reworkCells = reworks.get(key);
    const total = cells?.total ?? EMPTY;
    const rework = (bucket: number | null) =>
      bucket === null ? reworkCells?.total : reworkCells?.buckets[bucket];
    const trend: TrendPoint[] = [];
    for (const [bucket, { start, end }] of bounds.entries()) {
      const row = cells?.buckets[bucket] ?? EMPTY;
      const finished = row.deployments + row.failures;
      trend.push({
        start,
        end,
        deployments: row.deployments,
        failures: row.failures,
        changeFailureRate: finished > 0 ? row.failures / finished : null,
        leadTimeSeconds: row.lead_median,
        timeToRestoreSeconds: row.restore_median,
        reworkRate: reworkFigures(rework(bucket) ?? NO_REWORK, row.deployments).reworkRate,
      });
    }
    return {
      repository,
      environment,
      since: window.since,
      until: window.until,
      ...figuresOf(total, windowDays(window), rework(null)),
      trend,
    };
  });
}

const environmentKey = (repository: string, environment: string) => `${repository}\n${environment}`;

/** An environment's rows: its total and one per trend bucket (a sparse array). */
interface Cells<T> {
  total: T | undefined;
  buckets: Array<T | undefined>;
}

function byCell<T extends { repository: string; environment: string; bucket: number | null }>(
  rows: T[],
  bucketCount: number,
): Map<string, Cells<T>> {
  const cells = new Map<string, Cells<T>>();
  for (const row of rows) {
    const key = environmentKey(row.repository, row.environment);
    let entry = cells.get(key);
    if (!entry) {
      entry = { total: undefined, buckets: new Array<T | undefined>(bucketCount) };
      cells.set(key, entry);
    }
    if (row.bucket === null) entry.total = row;
    else entry.buckets[row.bucket] = row;
  }
  return cells;
}
