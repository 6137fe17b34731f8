import type { LedgerStore } from '../db/ledger-store.ts';
import type { OutboxJob } from '../db/outbox.ts';
import type { GithubApi } from '../github/client.ts';
import type { DeploymentRecord } from '../ledger/index.ts';

/** Carries out one outbox job against GitHub's API, noting each call on the record's timeline. */
export async function runGithubJob(
  job: OutboxJob,
  record: DeploymentRecord,
  github: GithubApi,
  store: LedgerStore,
) {
  const githubId = await ensureGithubDeployment(job, record, github, store);
  if (job.kind !== 'github.create_status') return;
  const state = String(job.payload.state);
  // A release's status carries its per-cluster progress as the core described it (github-sync.ts).
  const description =
    typeof job.payload.description === 'string' ? job.payload.description : record.description;
  const statusId = await github.createStatus(record.repository, githubId, {
    state,
    environmentUrl: record.environmentUrl,
    logUrl: record.logUrl,
    description,
  });
  await store.note(record.id, 'github', 'github_status_posted', {
    state,
    description,
    github_deployment_id: githubId,
    github_status_id: statusId,
  });
}

/** Never two GitHub deployments for one record: reuse the stored id, or the one a lost answer created. */
async function ensureGithubDeployment(
  job: OutboxJob,
  record: DeploymentRecord,
  github: GithubApi,
  store: LedgerStore,
): Promise<number> {
  if (record.githubDeploymentId !== null) return record.githubDeploymentId;
  const params = {
    ref: record.sha,
    environment: record.environment,
    description: record.description,
    recordId: record.id,
  };
  // A retry may follow a create whose answer was lost: look for our marker before creating.
  let id = job.attempts > 1 ? await github.findOurDeployment(record.repository, params) : null;
  const created = id === null;
  id ??= await github.createDeployment(record.repository, params);
  const stored = await store.attachGithubDeployment(record.id, id);
  await store.note(record.id, 'github', created ? 'github_deployment_created' : 'github_deployment_found', {
    github_deployment_id: id,
  });
  return stored?.githubDeploymentId ?? id;
}
