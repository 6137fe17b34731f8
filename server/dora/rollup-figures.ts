import type { AggregateRow } from '../db/dora-aggregates.ts';
import type { ReworkRow } from '../db/dora-rework.ts';
import { forEachRollupDay, type RollupDay } from '../db/dora-rollup-days.ts';
import type { RollupEnvironment } from '../db/dora-rollups.ts';
import { SampleMerge } from './median.ts';

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
  bucket: number | null;
  deployments: number;
  failures: number;
  lead_samples: number;
  incidents: number;
  restored: number;
  restored_by_rollback: number;
  rework: number;
  rollbacks: number;
  after_failure: number;
}

function emptyCell(bucket: number | null): Cell {
  return {
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
  };
}

function add(cell: Cell, day: RollupDay): void {
  cell.deployments += day.deployments;
  cell.failures += day.failures;
  cell.lead_samples += day.lead_samples;
  cell.incidents += day.incidents;
  cell.restored += day.restored;
  cell.restored_by_rollback += day.restored_by_rollback;
  cell.rework += day.rework;
  cell.rollbacks += day.rollbacks;
  cell.after_failure += day.after_failure;
}

/** The lead and recovery samples one cell merges (median() empties them for the next cell). */
class Medians {
  readonly lead = new SampleMerge();
  readonly restore = new SampleMerge();

  add(day: RollupDay): void {
    if (day.lead_samples) this.lead.add(day.lead.values, day.lead.length, day.lead_exact);
    if (day.restored) this.restore.add(day.restore.values, day.restore.length, day.restore_exact);
  }
}

/**
 * The day rollups summed into the rows the row-scanning queries give (dora-aggregates.ts,
 * dora-rework.ts): one per (environment, trend bucket) and a total per environment. One pass over
 * each environment's days (in day order, so a bucket's days come together): a response over every
 * environment reads thousands of them.
 */
export function figuresFromRollups(environments: RollupEnvironment[]): {
  aggregates: AggregateRow[];
  rework: ReworkRow[];
} {
  const aggregates: AggregateRow[] = [];
  const rework: ReworkRow[] = [];
  const [bucketMedians, totalMedians] = [new Medians(), new Medians()];
  for (const { repository, environment, days } of environments) {
    const close = (cell: Cell, medians: Medians) => {
      const { bucket } = cell;
      aggregates.push({
        repository,
        environment,
        bucket,
        deployments: cell.deployments,
        failures: cell.failures,
        lead_samples: cell.lead_samples,
        lead_median: medians.lead.median(),
        incidents: cell.incidents,
        restored: cell.restored,
        restored_by_rollback: cell.restored_by_rollback,
        restore_median: medians.restore.median(),
      });
      rework.push({
        repository,
        environment,
        bucket,
        rework: cell.rework,
        rollbacks: cell.rollbacks,
        after_failure: cell.after_failure,
      });
    };
    const total = emptyCell(null);
    let cell = null as Cell | null;
    forEachRollupDay(days, (day) => {
      if (cell && cell.bucket !== day.bucket) close(cell, bucketMedians);
      if (!cell || cell.bucket !== day.bucket) cell = emptyCell(day.bucket);
      add(cell, day);
      bucketMedians.add(day);
      add(total, day);
      totalMedians.add(day);
    });
    if (cell) close(cell, bucketMedians);
    close(total, totalMedians);
  }
  return { aggregates, rework };
}
