import type { DeploymentRecord } from '../ledger/index.ts';

export type Phase = 'pre' | 'post';

export interface SamplingPlan {
  postCount: number;
  postWindowMs: number;
}

/** A sample to take: its time is fixed by the record, so every collector agrees on it. */
export interface Slot {
  phase: Phase;
  at: Date;
}

/** Past its time by more than this, a slot is skipped (the server was down): the value would mislead. */
export function staleAfterMs(plan: SamplingPlan): number {
  return plan.postWindowMs + 60_000;
}

/** The pre sample belongs to the record's creation: one, while it is still active. */
export function preSlot(record: DeploymentRecord): Slot {
  return { phase: 'pre', at: record.createdAt };
}

/** Post samples: `postCount` of them, spread evenly after deployed_at, the last one window later. */
export function postSlots(record: DeploymentRecord, plan: SamplingPlan): Slot[] {
  if (!record.deployedAt) return [];
  const base = record.deployedAt.getTime();
  return Array.from({ length: plan.postCount }, (_, i) => ({
    phase: 'post' as const,
    at: new Date(base + Math.round(((i + 1) * plan.postWindowMs) / plan.postCount)),
  }));
}

export function isDue(slot: Slot, plan: SamplingPlan, now: Date): boolean {
  const late = now.getTime() - slot.at.getTime();
  return late >= 0 && late <= staleAfterMs(plan);
}

export function slotKey(deploymentId: string, slot: Slot): string {
  return `${deploymentId}/${slot.phase}/${slot.at.toISOString()}`;
}
