import type { LedgerStore } from '../db/ledger-store.ts';
import type { OutboxJob } from '../db/outbox.ts';
import type { GithubApi } from '../github/client.ts';
import { afterOurCreate, type DeploymentRecord, retireJob } from '../ledger/index.ts';

/** Carries out one outbox job against GitHub's API, noting each call on the record's timeline. */
export async function runGithubJob(
  job: OutboxJob,
  record: DeploymentRecord,
  github: GithubApi,
  store: LedgerStore,
) {
  if (job.kind === 'github.retire_deployment') {
    await retireGithubDeployment(record, Number(job.payload.github_deployment_id), github, store);
    return;
  }
  const githubId = await ensureGithubDeployment(job, record, github, store);
  if (job.kind !== 'github.create_status') return;
  const state = String(job.payload.state);
  if (githubId === null) {
    // `github_deployment: false` and GitHub's job deployment not adopted yet: nowhere to post.
    await store.note(record.id, 'github', 'github_status_skipped', { state });
    return;
  }
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
    github_deployment_id: githubId,
    github_status_id: statusId,
  });
}

/**
 * Never two GitHub deployments for one record: reuse the stored id (ours, or GitHub's job
 * deployment the record adopted; `record` was read just before this job ran), or the one a lost
 * answer created. Only the record's create job creates one (a record opened with
 * `github_deployment: false` has none); null when there is none. When the record adopted GitHub's
 * job deployment while our create was in flight, the one just created is queued for retiring.
 */
async function ensureGithubDeployment(
  job: OutboxJob,
  record: DeploymentRecord,
  github: GithubApi,
  store: LedgerStore,
): Promise<number | null> {
  if (record.githubDeploymentId !== null) return record.githubDeploymentId;
  if (job.kind !== 'github.create_deployment') return null;
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
  const { kept, retire } = afterOurCreate(stored?.githubDeploymentId ?? null, id);
  // Its own job, next in this record's order: retried on its own if GitHub fails on the way.
  if (retire) await store.queueGithubJob(record.id, retireJob(record, id));
  return kept;
}

/**
 * Marks a GitHub deployment of ours that the record gave up `inactive`, then deletes it (GitHub
 * deletes only an inactive deployment, unless it is the repository's only one). A deployment
 * whose payload does not name this record is never touched; one already gone is done.
 */
export async function retireGithubDeployment(
  record: DeploymentRecord,
  githubId: number,
  github: GithubApi,
  store: LedgerStore,
): Promise<void> {
  const marker = await github.markerOfDeployment(record.repository, githubId);
  if (marker !== record.id) {
    const reason = marker === undefined ? 'github_deployment_gone' : 'github_deployment_not_ours';
    await store.note(record.id, 'github', reason, { github_deployment_id: githubId });
    return;
  }
  await github.createStatus(record.repository, githubId, {
    state: 'inactive',
    environmentUrl: record.environmentUrl,
    logUrl: record.logUrl,
    description: `Replaced by the job's deployment ${record.githubDeploymentId}`,
  });
  await github.deleteDeployment(record.repository, githubId);
  await store.note(record.id, 'github', 'github_deployment_retired', {
    github_deployment_id: githubId,
    replaced_by: record.githubDeploymentId,
  });
}
