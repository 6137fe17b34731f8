/** Where a rollout stands, in the order its kind's `rollout status` checks it. */
export type RolloutStep =
  | 'spec_update_pending'
  | 'progress_deadline_exceeded'
  | 'updating_replicas'
  | 'terminating_old_replicas'
  | 'awaiting_availability'
  | 'awaiting_readiness'
  | 'unpausing'
  | 'progressing'
  | 'paused'
  | 'awaiting_stable'
  | 'degraded'
  | 'aborted'
  | 'complete';

export interface RolloutStatus {
  step: RolloutStep;
  outcome: 'waiting' | 'complete' | 'failed';
  /** What `kubectl rollout status` (or `kubectl argo rollouts status`) would print. */
  message: string;
  /**
   * Tells apart two visits of one step in one rollout (an Argo Rollout pausing at canary step 1,
   * then at step 3), so each is reported.
   */
  stage?: string;
}

export function waiting(step: RolloutStep, message: string, stage?: string): RolloutStatus {
  return stage === undefined
    ? { step, outcome: 'waiting', message }
    : { step, outcome: 'waiting', message, stage };
}

export function complete(message: string): RolloutStatus {
  return { step: 'complete', outcome: 'complete', message };
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  lastUpdateTime?: Date | string;
  lastTransitionTime?: Date | string;
}

/** A condition's time (last update, else last transition). */
export function conditionTime(condition: Condition | undefined): Date | null {
  return toDate(condition?.lastUpdateTime ?? condition?.lastTransitionTime);
}

/** The typed list API gives Dates, the watch stream gives strings: accept both. */
export function toDate(value: Date | string | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
