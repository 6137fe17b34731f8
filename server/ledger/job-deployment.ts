import type { DeploymentRecord, GithubSyncJob, Signal } from './types.ts';

// One GitHub deployment per run attempt and environment. GitHub creates a deployment of its own
// for a job with `environment:` (and posts the job's statuses to it); the record adopts that one,
// whichever arrives first. GitHub creates it when the job starts, before any step runs, so it
// is older — has a lower id — than any deployment we create for the same run attempt; among
// several job deployments (matrix jobs sharing the environment) the oldest stays.

/** The record's GitHub deployment once a signal naming one is folded in, and the one it replaced. */
export interface GithubDeploymentChoice {
  id: number | null;
  /** Ours, given up for GitHub's job deployment: to be marked inactive and deleted. */
  replaced: number | null;
}

export function githubDeploymentAfter(record: DeploymentRecord, signal: Signal): GithubDeploymentChoice {
  const current = record.githubDeploymentId;
  const incoming = signal.githubDeploymentId;
  if (incoming === undefined || incoming === current) return { id: current, replaced: null };
  if (current === null) return { id: incoming, replaced: null };
  if (signal.githubDeploymentOrigin === 'job' && incoming < current)
    return { id: incoming, replaced: current };
  return { id: current, replaced: null };
}

/**
 * Whether a signal is about a deployment of ours the record gave up (or never used, when our
 * create lost the race): what GitHub says of it (our `inactive`) is not the record's state.
 */
export function isAboutReplaced(record: DeploymentRecord, signal: Signal): boolean {
  return (
    signal.githubDeploymentOrigin === 'ours' &&
    signal.githubDeploymentId !== undefined &&
    record.githubDeploymentId !== null &&
    signal.githubDeploymentId !== record.githubDeploymentId
  );
}

/**
 * After our create: the id to keep, and whether the one just created must be retired because the
 * record adopted GitHub's job deployment while the call was in flight.
 */
export function afterOurCreate(stored: number | null, created: number): { kept: number; retire: boolean } {
  const kept = stored ?? created;
  return { kept, retire: kept !== created };
}

/** The outbox job that marks a replaced deployment of ours inactive, then deletes it. */
export function retireJob(record: Pick<DeploymentRecord, 'id'>, githubDeploymentId: number): GithubSyncJob {
  return {
    kind: 'github.retire_deployment',
    payload: { github_deployment_id: githubDeploymentId },
    dedupeKey: `retire:${record.id}:${githubDeploymentId}`,
  };
}
