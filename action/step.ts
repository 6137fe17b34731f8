import type { FinalState } from './records.ts';

/** What this run of the Action does: open the record, or report how the job ended. */
export type Step = { kind: 'start' } | FinalStep;
export type FinalStep = { kind: 'finish'; state: FinalState; reported: string };

/**
 * `start`, or a final status as `${{ job.status }}` gives it. A cancelled job becomes `error`:
 * the deployment did not finish, and GitHub's deployment states have no "cancelled".
 */
const FINAL_STATES: Record<string, FinalState> = {
  success: 'success',
  failure: 'failure',
  failed: 'failure',
  cancelled: 'error',
  canceled: 'error',
  error: 'error',
};

export function parseStep(value: string): Step {
  const normalized = value.trim().toLowerCase();
  if (normalized === 'start') return { kind: 'start' };
  const state = FINAL_STATES[normalized];
  if (!state) {
    throw new Error(
      `Input status is "${value}"; use start, or a final status: success, failure, cancelled (e.g. \${{ job.status }}).`,
    );
  }
  return { kind: 'finish', state, reported: normalized };
}
