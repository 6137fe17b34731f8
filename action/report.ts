import type { DeployledgerClient } from './client.ts';
import type { Settings } from './inputs.ts';
import type { DeploymentRecord } from './records.ts';
import type { FinalStep } from './step.ts';

export interface Report {
  record: DeploymentRecord;
  replayed: boolean;
  /** What happened, in words, for the log and the job summary. */
  outcome: string;
  /** The job's final status was not applied (the record ended otherwise): a warning, not a note. */
  notApplied?: boolean;
}

/** Opens the record for this run attempt; a repeated identical start is answered as a replay. */
export async function startDeployment(client: DeployledgerClient, settings: Settings): Promise<Report> {
  const { record, replayed } = await client.start(settings.key, {
    repository: settings.repository,
    environment: settings.environment,
    sha: settings.sha,
    ref: settings.ref,
    commit_at: settings.commitAt,
    run_id: settings.runId,
    run_attempt: settings.runAttempt,
    state: 'in_progress',
    environment_url: settings.environmentUrl,
    log_url: settings.logUrl,
    description: settings.description,
    metrics_endpoint: settings.metricsEndpoint,
    k8s: settings.k8s,
    k8s_clusters: settings.k8sClusters,
    supersede: settings.supersede || undefined,
    github_deployment: settings.deployment ? undefined : false,
  });
  const outcome = replayed
    ? `Deployment ${record.id} already existed for key ${record.key}; no second record was made.`
    : `Recorded deployment ${record.id} of ${record.sha.slice(0, 12)} to ${record.environment}.`;
  return { record, replayed, outcome };
}

/** Reports how the job ended, addressed by key so it needs nothing from the start step. */
export async function finishDeployment(
  client: DeployledgerClient,
  settings: Settings,
  { state, reported }: FinalStep,
): Promise<Report> {
  const { record, applied, reason } = await client.reportStatus(
    { repository: settings.repository, environment: settings.environment, key: settings.key },
    {
      state,
      environment_url: settings.environmentUrl,
      log_url: settings.logUrl,
      description: settings.description ?? (reported === 'cancelled' ? 'The job was cancelled.' : undefined),
    },
  );
  const as = state === reported ? state : `${state} (from ${reported})`;
  const outcome = applied
    ? `Reported ${as} for deployment ${record.id}.`
    : `Reported ${as} for deployment ${record.id}; it stays ${record.state} (${reason ?? 'not applied'}).`;
  // A repeated final status is the replay of a status call. A record a later deployment superseded
  // (inactive) takes no final status, yet the job's still counts: it ends the rollout a protection
  // rule may be waiting on. Neither is cause for a warning.
  const notApplied = !applied && reason !== 'duplicate' && record.state !== 'inactive';
  return { record, replayed: reason === 'duplicate', outcome, notApplied };
}
