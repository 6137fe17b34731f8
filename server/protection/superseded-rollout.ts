import type { Db } from '../db/deployments.ts';
import type { ProtectionRequestInput } from '../db/protection-requests.ts';
import { findRolloutEndEvent, isJobKeptBackByRule, isSupersededByOwnJob } from '../db/superseded-rollouts.ts';
import { type DeploymentRecord, type StuckPolicy, stuckAfterMs } from '../ledger/index.ts';

/**
 * When a job targets a protected environment, GitHub creates the job's deployment and sends a
 * `deployment` delivery: by the contract that new record supersedes the one still rolling out,
 * which turns `inactive` while its rollout goes on in the cluster. For the gate such a record
 * stays "in progress" until its rollout is seen to end — a `k8s` event reporting the rollout
 * complete or past its progress deadline, or a final status (success, failure, error) from the
 * Action or a webhook, applied or not — or until the sweeper would have timed it out had it
 * stayed active (its stuck deadline from created_at).
 *
 * The SQL is in server/db/superseded-rollouts.ts.
 */

/** How the rollout of a superseded record was seen to end. */
export type RolloutEnd =
  | { outcome: 'complete' | 'failed'; seenBy: string }
  | { outcome: 'timed_out' | 'not_started'; seenBy: string };

/**
 * How what a held request waited for ended, as far as the gate is concerned: nothing of it rolled
 * out when its own job is held or was rejected by this rule (and no rollout end was seen); else,
 * for a record the job's own deployment superseded, how its rollout ended (null while it goes on).
 * Null for a record that ended the ordinary way, or is still active.
 */
export async function waitedForEnd(
  prisma: Db,
  request: ProtectionRequestInput,
  record: DeploymentRecord,
  policy: StuckPolicy,
): Promise<RolloutEnd | null> {
  const event = await findRolloutEndEvent(prisma, record.id);
  if (!event && (await isJobKeptBackByRule(prisma, record.id))) {
    return {
      outcome: 'not_started',
      seenBy: 'its job is held or was rejected by this rule, so nothing of it rolled out',
    };
  }
  if (record.state !== 'inactive' || !(await isSupersededByOwnJob(prisma, request, record.id))) return null;
  if (!event) {
    const stuckAt = record.createdAt.getTime() + stuckAfterMs(policy, record.environment);
    if (stuckAt > Date.now()) return null;
    return {
      outcome: 'timed_out',
      seenBy: 'no final report before the stuck deadline (DEPLOYLEDGER_STUCK_AFTER_SECONDS)',
    };
  }
  if (event.source === 'k8s') {
    return event.step === 'complete'
      ? { outcome: 'complete', seenBy: 'Kubernetes reported the rollout complete' }
      : { outcome: 'failed', seenBy: 'Kubernetes reported the rollout failed (ProgressDeadlineExceeded)' };
  }
  const who = event.source === 'action' ? 'the Action' : 'GitHub';
  return {
    outcome: event.state === 'success' ? 'complete' : 'failed',
    seenBy: `${who} reported ${event.state}`,
  };
}
