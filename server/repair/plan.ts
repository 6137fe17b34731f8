import { listAllOldestFirst } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { type DeploymentRecord, foldName, isActive, isStuck, type StuckPolicy } from '../ledger/index.ts';
import { findDuplicateGroups } from './duplicates.ts';
import { predictMerge } from './merge.ts';

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

/**
 * Two different deployments active at once in one environment whose names differ only in case
 * (written before names were compared case-insensitively): the older becomes inactive
 * (superseded by the newer), as a webhook-seen newer deployment would have done.
 */
export interface SupersedeStep {
  kind: 'supersede';
  record: DeploymentRecord;
  by: DeploymentRecord;
}

export interface RepairPlan {
  merges: MergeStep[];
  supersedes: SupersedeStep[];
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
  const records = await listAllOldestFirst(prisma);
  const merges: MergeStep[] = findDuplicateGroups(records, options.windowMs).map(
    ([survivor, ...duplicates]) => {
      if (!survivor) throw new Error('a duplicate group is never empty');
      return { kind: 'merge', survivor, duplicates, after: predictMerge(survivor, duplicates) };
    },
  );
  const merged = new Map(merges.map((step) => [step.survivor.id, step.after]));
  const removed = new Set(merges.flatMap((step) => step.duplicates.map((duplicate) => duplicate.id)));
  const remaining = records.filter((record) => !removed.has(record.id)).map((r) => merged.get(r.id) ?? r);
  const supersedes = planSupersedes(remaining);
  const superseded = new Set(supersedes.map((step) => step.record.id));
  const resolves: ResolveStep[] = remaining
    .filter((record) => !superseded.has(record.id) && isStuck(options.policy, record, options.now))
    .map((record) => ({ kind: 'resolve', record }));
  return { merges, supersedes, resolves };
}

/** Per environment (names folded), every active record but the newest (records oldest first). */
function planSupersedes(records: DeploymentRecord[]): SupersedeStep[] {
  const active = new Map<string, DeploymentRecord[]>();
  for (const record of records.filter((r) => isActive(r.state))) {
    const scope = `${foldName(record.repository)}\n${foldName(record.environment)}`;
    active.set(scope, [...(active.get(scope) ?? []), record]);
  }
  return [...active.values()].flatMap((group) => {
    const newest = group.at(-1);
    return newest
      ? group.slice(0, -1).map((record) => ({ kind: 'supersede' as const, record, by: newest }))
      : [];
  });
}

export function isEmpty(plan: RepairPlan): boolean {
  return plan.merges.length === 0 && plan.supersedes.length === 0 && plan.resolves.length === 0;
}
