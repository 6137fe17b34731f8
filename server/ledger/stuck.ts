import { foldName } from './names.ts';
import { isActive } from './states.ts';
import type { DeploymentRecord, Signal, SignalSource } from './types.ts';

/** How long a record may stay active, measured from its created_at, before it counts as stuck. */
export interface StuckPolicy {
  defaultSeconds: number;
  /** By environment name folded (foldName): `Production`'s records take `production`'s deadline. */
  byEnvironment: Record<string, number>;
}

export function stuckAfterMs(policy: StuckPolicy, environment: string): number {
  return (policy.byEnvironment[foldName(environment)] ?? policy.defaultSeconds) * 1000;
}

/**
 * Active and created longer ago than its environment's deadline. created_at, not started_at:
 * a record stuck in `pending` or `queued` never got a started_at, and created_at is always set.
 */
export function isStuck(policy: StuckPolicy, record: DeploymentRecord, now: Date): boolean {
  return (
    isActive(record.state) &&
    now.getTime() - record.createdAt.getTime() > stuckAfterMs(policy, record.environment)
  );
}

/** The signal that ends a stuck record; the core ignores it if a producer resolved it first. */
export function timedOutSignal(
  source: SignalSource,
  policy: StuckPolicy,
  record: DeploymentRecord,
  at: Date,
  /** What else the timeline should say (the sweeper: what GitHub was asked and answered). */
  extra: Record<string, unknown> = {},
): Signal {
  return {
    source,
    state: 'error',
    at,
    reason: 'timed_out',
    description: `No final status within ${stuckAfterMs(policy, record.environment) / 1000} s of its creation`,
    detail: {
      stuck_after_seconds: stuckAfterMs(policy, record.environment) / 1000,
      state_was: record.state,
      ...extra,
    },
  };
}
