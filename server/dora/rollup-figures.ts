import type { AggregateRow } from '../db/dora-aggregates.ts';
import type { ReworkRow } from '../db/dora-rework.ts';
import type { RollupRow } from '../db/dora-rollups.ts';
import { medianOf, type Samples } from './median.ts';

const DAY_MS = 86_400_000;

/**
 * Whether a window is made of whole UTC days, trend buckets included: then the day rollups answer
 * it exactly (medians aside, see median.ts); any other window is computed from the deployments.
 */
export function isWholeDays(window: { since: Date; until: Date; bucketMs: number }): boolean {
  return (
    window.since.getTime() % DAY_MS === 0 &&
    window.until.getTime() % DAY_MS === 0 &&
    window.bucketMs % DAY_MS === 0
  );
}

interface Cell
  extends Omit<
    RollupRow,
    'bucket' | 'lead_histogram' | 'lead_exact' | 'restore_histogram' | 'restore_exact'
  > {
  bucket: number | null;
  lead: Samples[];
  restore: Samples[];
}

function emptyCell(row: RollupRow, bucket: number | null): Cell {
  return {
    repository: row.repository,
    environment: row.environment,
    bucket,
    deployments: 0,
    failures: 0,
    lead_samples: 0,
    incidents: 0,
    restored: 0,
    restored_by_rollback: 0,
    rework: 0,
    rollbacks: 0,
    after_failure: 0,
    lead: [],
    restore: [],
  };
}

function add(cell: Cell, row: RollupRow): void {
  cell.deployments += row.deployments;
  cell.failures += row.failures;
  cell.lead_samples += row.lead_samples;
  cell.incidents += row.incidents;
  cell.restored += row.restored;
  cell.restored_by_rollback += row.restored_by_rollback;
  cell.rework += row.rework;
  cell.rollbacks += row.rollbacks;
  cell.after_failure += row.after_failure;
  if (row.lead_samples) cell.lead.push({ pairs: row.lead_histogram, exact: row.lead_exact });
  if (row.restored) cell.restore.push({ pairs: row.restore_histogram, exact: row.restore_exact });
}

/**
 * The day rollups summed into the rows the row-scanning queries give (dora-aggregates.ts,
 * dora-rework.ts): one per (environment, trend bucket) and a total per environment. One pass over
 * the days (a response over every environment reads thousands of them), rows in environment order.
 */
export function figuresFromRollups(rows: RollupRow[]): { aggregates: AggregateRow[]; rework: ReworkRow[] } {
  const cells: Cell[] = [];
  const environments = new Map<string, { total: Cell; buckets: Map<number, Cell> }>();
  for (const row of rows) {
    const key = `${row.repository}\n${row.environment}`;
    let environment = environments.get(key);
    if (!environment) {
      environment = { total: emptyCell(row, null), buckets: new Map() };
      environments.set(key, environment);
      cells.push(environment.total);
    }
    let cell = environment.buckets.get(row.bucket);
    if (!cell) {
      cell = emptyCell(row, row.bucket);
      environment.buckets.set(row.bucket, cell);
      cells.push(cell);
    }
    add(cell, row);
    add(environment.total, row);
  }
  const aggregates: AggregateRow[] = [];
  const rework: ReworkRow[] = [];
  for (const cell of cells) {
    const { repository, environment, bucket } = cell;
    aggregates.push({
      repository,
      environment,
      bucket,
      deployments: cell.deployments,
      failures: cell.failures,
      lead_samples: cell.lead_samples,
      lead_median: medianOf(cell.lead),
      incidents: cell.incidents,
      restored: cell.restored,
      restored_by_rollback: cell.restored_by_rollback,
      restore_median: medianOf(cell.restore),
    });
    rework.push({
      repository,
      environment,
      bucket,
      rework: cell.rework,
      rollbacks: cell.rollbacks,
      after_failure: cell.after_failure,
    });
  }
  return { aggregates, rework };
}
