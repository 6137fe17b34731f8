import type { Decision, DeploymentRecord, Signal } from './types.ts';

/** A call towards GitHub's Deployments API, queued in the outbox with the change that needs it. */
export interface GithubSyncJob {
  kind: 'github.create_deployment' | 'github.create_status';
  payload: Record<string, unknown>;
  /** The outbox adds a job with the same key once. */
  dedupeKey: string;
}

/**
 * Which calls to GitHub a decision needs: a record without a GitHub deployment gets one when it
 * opens, and each state it reaches is posted once. Changes that came from GitHub itself (webhooks)
 * are not posted back, nor is auto-inactive: GitHub marks older successes inactive itself.
 */
export function githubSyncJobs(
  sync: boolean,
  change: { before: DeploymentRecord | null; signal: Signal; decision: Decision },
): GithubSyncJob[] {
  const { before, signal, decision } = change;
  if (!sync || signal.source === 'webhook' || signal.reason === 'auto_inactive') return [];
  const { record } = decision;
  const jobs: GithubSyncJob[] = [];
  if (before === null && record.githubDeploymentId === null) {
    jobs.push({ kind: 'github.create_deployment', payload: {}, dedupeKey: `create:${record.id}` });
  }
  const changed = decision.applied && (before === null || before.state !== record.state);
  if (changed && record.state !== 'pending') {
    jobs.push({
      kind: 'github.create_status',
      payload: { state: record.state },
      dedupeKey: `status:${record.id}:${record.state}`,
    });
  }
  return jobs;
}
