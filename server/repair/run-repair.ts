import { findById } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { isStuck, type StuckPolicy, supersedeSignal, timedOutSignal } from '../ledger/index.ts';
import { mergeGroup } from './merge.ts';
import { isEmpty, planRepair, type RepairPlan } from './plan.ts';

export interface RepairOptions {
  windowMs: number;
  policy: StuckPolicy;
  apply: boolean;
}

export interface RepairOutcome {
  plan: RepairPlan;
  merged: number;
  superseded: number;
  resolved: number;
}

/**
 * Plans the repair and, with `apply`, carries it out: each merge in one transaction under its
 * environment's lock, then each stuck record ended through the core (source `repair`). Running
 * it again finds nothing: the duplicates are gone and nothing is left active past its deadline.
 */
export async function runRepair(prisma: PrismaClient, store: LedgerStore, options: RepairOptions) {
  const plan = await planRepair(prisma, {
    windowMs: options.windowMs,
    policy: options.policy,
    now: new Date(),
  });
  const outcome: RepairOutcome = { plan, merged: 0, superseded: 0, resolved: 0 };
  if (!options.apply || isEmpty(plan)) return outcome;

  for (const step of plan.merges) {
    const duplicateIds = step.duplicates.map((duplicate) => duplicate.id);
    const done = await store.inEnvironment(step.survivor.repository, step.survivor.environment, (ledger) =>
      mergeGroup(ledger, step.survivor.id, duplicateIds),
    );
    if (done) outcome.merged += 1;
  }
  for (const { record, by } of plan.supersedes) {
    const result = await store.inEnvironment(record.repository, record.environment, (ledger) =>
      ledger.apply(record.id, supersedeSignal('repair', by, new Date())),
    );
    if (result?.applied) outcome.superseded += 1;
  }
  for (const { record } of plan.resolves) {
    const result = await store.inEnvironment(record.repository, record.environment, async (ledger) => {
      const fresh = await findById(ledger.tx, record.id);
      if (!fresh || !isStuck(options.policy, fresh, new Date())) return null;
      return ledger.apply(fresh.id, timedOutSignal('repair', options.policy, fresh, new Date()));
    });
    if (result?.applied) outcome.resolved += 1;
  }
  return outcome;
}
