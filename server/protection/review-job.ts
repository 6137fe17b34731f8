import type { LedgerStore } from '../db/ledger-store.ts';
import type { OutboxJob } from '../db/outbox.ts';
import type { ProtectionReviewer } from '../github/protection.ts';

export const REVIEW_KIND = 'github.review_protection';

interface ReviewPayload {
  record_id: string | null;
  repository: string;
  environment: string;
  callback_url: string;
  installation_id: number | null;
  state: 'approved' | 'rejected';
  comment: string;
}

/** The record a review concerns, for its timeline (null: none known). */
export function reviewRecordId(job: OutboxJob): string | null {
  return (job.payload as unknown as ReviewPayload).record_id ?? null;
}

/**
 * What a review's log lines name: the job (repository, environment, run), the decision, and the
 * record the decision concerns (the deployment it waited for, say: not the job's own).
 */
export function reviewLogContext(job: OutboxJob) {
  const payload = job.payload as unknown as ReviewPayload;
  const run = /\/actions\/runs\/(\d+)\//.exec(payload.callback_url)?.[1];
  return {
    concerns_deployment_id: payload.record_id ?? null,
    repository: payload.repository,
    environment: payload.environment,
    run_id: run ? Number(run) : null,
    decision: payload.state,
  };
}

/** Sends one queued approval or rejection to GitHub, then notes it on the record it concerns. */
export async function runProtectionReview(
  job: OutboxJob,
  reviewer: ProtectionReviewer | undefined,
  store: LedgerStore,
) {
  if (!reviewer)
    throw new Error(
      'no GitHub credentials to answer a protection rule with: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY',
    );
  const payload = job.payload as unknown as ReviewPayload;
  await reviewer.review({
    repository: payload.repository,
    environment: payload.environment,
    callbackUrl: payload.callback_url,
    installationId: payload.installation_id,
    state: payload.state,
    comment: payload.comment,
  });
  if (payload.record_id) {
    await store.note(payload.record_id, 'github', 'protection_review_sent', {
      environment: payload.environment,
      state: payload.state,
      attempts: job.attempts,
    });
  }
}
