import type { DeploymentRecord, Signal } from './types.ts';

/** The signal that retires a success in favour of `by`, as GitHub's auto-inactive does. */
export function autoInactiveSignal(by: DeploymentRecord, at: Date): Signal {
  return {
    source: 'ledger',
    state: 'inactive',
    at,
    reason: 'auto_inactive',
    detail: { superseded_by: by.id },
  };
}

/**
 * GitHub's auto-inactive, for a record that just succeeded, given the environment's other
 * successes (newest first): when a newer success exists this one goes inactive at once;
 * otherwise every older success does. What to apply, to which record.
 */
export function autoInactive(
  succeeded: DeploymentRecord,
  otherSuccesses: DeploymentRecord[],
  at: Date,
): Array<{ record: DeploymentRecord; signal: Signal }> {
  const newer = otherSuccesses.find((other) => other.createdAt > succeeded.createdAt);
  if (newer) return [{ record: succeeded, signal: autoInactiveSignal(newer, at) }];
  return otherSuccesses.map((older) => ({ record: older, signal: autoInactiveSignal(succeeded, at) }));
}
