import { isRelease, releaseSummary } from './rollouts.ts';
import { isActive } from './states.ts';
import type { Decision, DeploymentRecord, GithubSyncJob, Signal } from './types.ts';

/**
 * Which calls to GitHub a decision needs: a record without a GitHub deployment gets one when it
 * opens (unless the request said `github_deployment: false`), and each state it reaches is posted
 * once. Changes that came from GitHub itself (webhooks)
 * are not posted back, nor is auto-inactive: GitHub marks older successes inactive itself.
 * `decide` and `openRecord` turn these into `github_sync` effects.
 */
export function githubSyncJobs(change: {
  before: DeploymentRecord | null;
  signal: Signal;
  decision: Pick<Decision, 'record' | 'applied'>;
  /** Whether an opening record wants a GitHub deployment of ours (default true). */
  ownDeployment?: boolean;
}): GithubSyncJob[] {
  const { before, signal, decision, ownDeployment = true } = change;
  // A reconciled GitHub status (reason github_status_*) is GitHub's own already.
  const fromGithub = signal.source === 'webhook' || signal.reason?.startsWith('github_status_') === true;
  if (fromGithub || signal.reason === 'auto_inactive') return [];
  const { record } = decision;
  const jobs: GithubSyncJob[] = [];
  if (before === null && record.githubDeploymentId === null && ownDeployment) {
    jobs.push({ kind: 'github.create_deployment', payload: {}, dedupeKey: `create:${record.id}` });
  }
  const changed = decision.applied && (before === null || before.state !== record.state);
  const release = releaseDescription(record);
  if (changed && record.state !== 'pending') {
    jobs.push({
      kind: 'github.create_status',
      payload: release === null ? { state: record.state } : { state: record.state, description: release },
      dedupeKey: `status:${record.id}:${record.state}`,
    });
  } else if (release !== null && isActive(record.state) && record.state !== 'pending') {
    // A release still rolling out: each change of its per-cluster progress is posted too.
    if (before !== null && releaseDescription(before) !== release)
      jobs.push({
        kind: 'github.create_status',
        payload: { state: record.state, description: release },
        dedupeKey: `status:${record.id}:${record.state}:${release}`,
      });
  }
  return jobs;
}

/**
 * A release's status description: its per-cluster progress, then the record's own description
 * (GitHub keeps 140 characters). Null for a record that is no release.
 */
export function releaseDescription(record: DeploymentRecord): string | null {
  if (!isRelease(record.k8sRollouts)) return null;
  const summary = releaseSummary(record.k8sRollouts);
  return record.description ? `${summary} · ${record.description}` : summary;
}

/** The jobs a decision's `github_sync` effects ask for. */
export function githubSyncOf(decision: Pick<Decision, 'effects'>): GithubSyncJob[] {
  return decision.effects.flatMap((effect) => (effect.type === 'github_sync' ? [effect.job] : []));
}
