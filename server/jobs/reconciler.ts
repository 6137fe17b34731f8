import { classifyGithubError, type GithubFailure } from '../github/rate-limit.ts';
import {
  type Asked,
  describeRun,
  describeStatus,
  signalFromRun,
  signalFromStatus,
} from '../github/reconcile-signal.ts';
import type { GithubTruth } from '../github/run-truth.ts';
import type { DeploymentRecord, Signal } from '../ledger/index.ts';

/** What GitHub answered about a record past its deadline. */
export type ReconcileAnswer =
  /** GitHub knows how it ended: an ordinary signal (source `reconcile`). */
  | { kind: 'final'; signal: Signal }
  /** GitHub knows nothing final either (or nothing at all): the sweeper times the record out. */
  | { kind: 'not_final'; asked: Asked[] }
  /** GitHub could not be asked (network, 5xx, rate limit): ask again on a later sweep. */
  | { kind: 'unreachable'; asked: Asked[]; failure: GithubFailure };

export interface Reconciler {
  ask(record: DeploymentRecord): Promise<ReconcileAnswer>;
}

/**
 * Before the sweeper ends a record as `timed_out`, asks the source of truth: the GitHub
 * deployment's latest status (when the record has one), then the workflow run attempt (when it
 * has a run). The first final answer wins. A refusal that will not get better (401, 403, 404) counts
 * as "GitHub knows nothing" so that credentials problems never keep records active forever.
 */
export function createReconciler(truth: GithubTruth): Reconciler {
  // Once GitHub answers with its rate limit, nothing is asked until it resets: every question
  // would be refused too, and a sweep's hundred candidates would each spend a request on it.
  let limited: RateLimitedFailure | null = null;
  return {
    async ask(record) {
      if (limited && Date.now() < limited.retryAt.getTime()) {
        return { kind: 'unreachable', asked: [], failure: limited };
      }
      const answer = await askGithub(truth, record);
      limited =
        answer.kind === 'unreachable' && answer.failure.kind === 'rate_limited' ? answer.failure : null;
      return answer;
    },
  };
}

type RateLimitedFailure = Extract<GithubFailure, { kind: 'rate_limited' }>;

async function askGithub(truth: GithubTruth, record: DeploymentRecord): Promise<ReconcileAnswer> {
  const asked: Asked[] = [];
  const base = `/repos/${record.repository}`;
  try {
    if (record.githubDeploymentId !== null) {
      const question = `GET ${base}/deployments/${record.githubDeploymentId}/statuses`;
      const status = await askOnce(asked, question, () =>
        truth.latestStatus(record.repository, record.githubDeploymentId as number),
      );
      if (status !== 'refused') {
        asked.push({ asked: question, answer: { latest: describeStatus(status) } });
        const signal = status ? signalFromStatus(status, asked) : null;
        if (signal) return { kind: 'final', signal };
      }
    }
    if (record.runId !== null) {
      const attempt = record.runAttempt ?? 1;
      const question = `GET ${base}/actions/runs/${record.runId}/attempts/${attempt}`;
      const run = await askOnce(asked, question, () =>
        truth.runAttempt(record.repository, record.runId as number, attempt),
      );
      if (run !== 'refused') {
        asked.push({ asked: question, answer: describeRun(run) });
        const signal = run ? signalFromRun(run, asked) : null;
        if (signal) return { kind: 'final', signal };
      }
    }
    return { kind: 'not_final', asked };
  } catch (error) {
    return { kind: 'unreachable', asked, failure: classifyGithubError(error) };
  }
}

/** The answer; 'refused' (noted in `asked`) for a 401/403/404: the next question is still asked.
 * Throws when GitHub could not answer. */
async function askOnce<T>(asked: Asked[], question: string, call: () => Promise<T>): Promise<T | 'refused'> {
  try {
    return await call();
  } catch (error) {
    const failure = classifyGithubError(error);
    // Refusals that waiting will not change (also a 404 from the App's installation lookup).
    if (failure.kind === 'unauthorized' || failure.kind === 'forbidden' || failure.kind === 'not_found') {
      asked.push({ asked: question, answer: { refused: failure.kind, error: failure.message } });
      return 'refused';
    }
    asked.push({ asked: question, answer: { error: failure.message } });
    throw error;
  }
}
