import type { PrismaClient } from '../db/generated/client.ts';
import { toRecord } from '../db/records.ts';
import type { DeploymentRecord } from '../ledger/index.ts';
import { findDuplicateGroups } from './duplicates.ts';
import { predictMerge } from './merge.ts';
import { isStuck, type StuckPolicy } from './stuck.ts';

export interface MergeStep {
  kind: 'merge';
  survivor: DeploymentRecord;
  duplicates: DeploymentRecord[];
  /** The survivor after the merge, as the core will decide it. */
  after: DeploymentRecord;
}

export interface ResolveStep {
  kind: 'resolve';
  record: DeploymentRecord;
}

export interface RepairPlan {
  merges: MergeStep[];
  resolves: ResolveStep[];
}

/**
 * What `repair` would do: merge each group of duplicates into its oldest record, then end the
 * records still active past their deadline (judged on the records as the merges leave them).
 */
export async function planRepair(
  prisma: PrismaClient,
  options: { windowMs: number; policy: StuckPolicy; now: Date },
): Promise<RepairPlan> {
  const records = (await prisma.deployment.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(
    toRecord,
  );
  const merges: MergeStep[] = findDuplicateGroups(records, options.windowMs).map(
    ([survivor, ...duplicates]) => {
      if (!survivor) throw new Error('a duplicate group is never empty');
      return { kind: 'merge', survivor, duplicates, after: predictMerge(survivor, duplicates) };
    },
  );
  const merged = new Map(merges.map((step) => [step.survivor.id, step.after]));
  const removed = new Set(merges.flatMap((step) => step.duplicates.map((duplicate) => duplicate.id)));
  const resolves: ResolveStep[] = records
    .filter((record) => !removed.has(record.id))
    .map((record) => merged.get(record.id) ?? record)
    .filter((record) => isStuck(options.policy, record, options.now))
    .map((record) => ({ kind: 'resolve', record }));
  return { merges, resolves };
}

export function isEmpty(plan: RepairPlan): boolean {
  return plan.merges.length === 0 && plan.resolves.length === 0;
}
