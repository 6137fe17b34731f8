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

interface Cell {
  repository: string;
  environment: string;
  bucket: number | null;
  rows: RollupRow[];
}

const cellKey = (row: RollupRow, bucket: number | null) =>
  `${row.repository}\n${row.environment}\n${bucket ?? 'total'}`;

/**
 * The day rollups summed into the rows the row-scanning queries give (dora-aggregates.ts,
 * dora-rework.ts): one per (environment, trend bucket) and a total per environment.
 */
export function figuresFromRollups(rows: RollupRow[]): { aggregates: AggregateRow[]; rework: ReworkRow[] } {
  const cells = new Map<string, Cell>();
  for (const row of rows) {
    for (const bucket of [row.bucket, null]) {
      const key = cellKey(row, bucket);
      let cell = cells.get(key);
      if (!cell) {
        cell = { repository: row.repository, environment: row.environment, bucket, rows: [] };
        cells.set(key, cell);
      }
      cell.rows.push(row);
    }
  }
  const aggregates: AggregateRow[] = [];
  const rework: ReworkRow[] = [];
  for (const { repository, environment, bucket, rows: days } of cells.values()) {
    const sum = (pick: (row: RollupRow) => number) => days.reduce((total, row) => total + pick(row), 0);
    const samples = (pick: (row: RollupRow) => Samples | null) =>
      days.map(pick).filter((s): s is Samples => s !== null);
    aggregates.push({
      repository,
      environment,
      bucket,
      deployments: sum((r) => r.deployments),
      failures: sum((r) => r.failures),
      lead_samples: sum((r) => r.lead_samples),
      lead_median: medianOf(
        samples((r) => (r.lead_samples ? { pairs: r.lead_histogram, exact: r.lead_exact } : null)),
      ),
      incidents: sum((r) => r.incidents),
      restored: sum((r) => r.restored),
      restored_by_rollback: sum((r) => r.restored_by_rollback),
      restore_median: medianOf(
        samples((r) => (r.restored ? { pairs: r.restore_histogram, exact: r.restore_exact } : null)),
      ),
    });
    rework.push({
      repository,
      environment,
      bucket,
      rework: sum((r) => r.rework),
      rollbacks: sum((r) => r.rollbacks),
      after_failure: sum((r) => r.after_failure),
    });
  }
  return { aggregates, rework };
}
