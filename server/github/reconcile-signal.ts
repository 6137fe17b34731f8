import { isTerminal, parseState, type Signal, type State } from '../ledger/index.ts';
import type { GithubStatus, RunAttempt } from './run-truth.ts';

/** One question the reconciler asked GitHub and its answer, as the timeline keeps it. */
export interface Asked {
  asked: string;
  answer: Record<string, unknown> | null;
}

/**
 * A terminal state in the GitHub deployment's latest status (`success`, `failure`, `error`,
 * `inactive`): the record takes it, at GitHub's time. Null when the latest status is not final.
 */
export function signalFromStatus(status: GithubStatus, asked: Asked[]): Signal | null {
  const state = parseState(status.state);
  if (!state || !isTerminal(state)) return null;
  return {
    source: 'reconcile',
    state,
    at: validTime(status.createdAt) ?? new Date(),
    environmentUrl: status.environmentUrl,
    logUrl: status.logUrl,
    description: status.description,
    reason: `github_status_${state}`,
    detail: { asked },
  };
}

/**
 * A completed workflow run attempt: the record ends as the run ended — `success` when it
 * concluded success, `failure` on failure, `error` for every other conclusion (cancelled,
 * timed_out, startup_failure, skipped, …) — at the run's last update. Null while it runs.
 */
export function signalFromRun(run: RunAttempt, asked: Asked[]): Signal | null {
  if (run.status !== 'completed' || !run.conclusion) return null;
  const state: State =
    run.conclusion === 'success' ? 'success' : run.conclusion === 'failure' ? 'failure' : 'error';
  return {
    source: 'reconcile',
    state,
    at: validTime(run.updatedAt) ?? new Date(),
    logUrl: run.htmlUrl,
    reason: `workflow_run_${run.conclusion}`,
    detail: { asked },
  };
}

export function describeRun(run: RunAttempt | null): Record<string, unknown> | null {
  return run
    ? { status: run.status, conclusion: run.conclusion, updated_at: run.updatedAt, html_url: run.htmlUrl }
    : { found: false };
}

export function describeStatus(status: GithubStatus | null): Record<string, unknown> | null {
  return status ? { id: status.id, state: status.state, created_at: status.createdAt } : null;
}

function validTime(value: string | null): Date | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}
