import { markerOf, markerPayload } from './marker.ts';
import { createGithubClients, type GithubAuth, type GithubClients, splitRepository } from './octokit.ts';

export type { GithubAuth } from './octokit.ts';

export interface DeploymentParams {
  ref: string;
  environment: string;
  description: string | null;
  recordId: string;
}

export interface StatusParams {
  state: string;
  environmentUrl: string | null;
  logUrl: string | null;
  description: string | null;
}

/** The calls Deployledger makes to GitHub's REST API (Deployments). */
export interface GithubApi {
  createDeployment(repository: string, params: DeploymentParams): Promise<number>;
  /** A deployment we created earlier for this record (its payload names the record), if any. */
  findOurDeployment(repository: string, params: DeploymentParams): Promise<number | null>;
  createStatus(repository: string, deploymentId: number, params: StatusParams): Promise<number>;
  /** The record id our marker names in this deployment's payload; undefined when it is gone. */
  markerOfDeployment(repository: string, deploymentId: number): Promise<string | null | undefined>;
  /** Deletes a deployment (GitHub: only an inactive one, unless it is the only one); gone is fine. */
  deleteDeployment(repository: string, deploymentId: number): Promise<void>;
}

/** GitHub's limit for a status description. */
const MAX_DESCRIPTION = 140;

export function createGithubApi(
  auth: GithubAuth | GithubClients,
  baseUrl = 'https://api.github.com',
): GithubApi {
  const clients = 'kind' in auth ? auth : createGithubClients(auth, baseUrl);
  const client = (repository: string) => clients.forRepository(repository);

  return {
    async createDeployment(repository, params) {
      const [owner, repo] = split(repository);
      const octokit = await client(repository);
      const { data, status } = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
        owner,
        repo,
        ref: params.ref,
        environment: params.environment,
        description: truncate(params.description),
        // GitHub's defaults bite: auto_merge may merge the default branch (answering 202), and
        // required_contexts checks every status (answering 409). The pipeline decided already.
        auto_merge: false,
        required_contexts: [],
        payload: markerPayload(params.recordId),
      });
      if (status !== 201 || !('id' in data))
        throw new Error(`GitHub did not create the deployment (HTTP ${status})`);
      return Number(data.id);
    },

    async findOurDeployment(repository, params) {
      const [owner, repo] = split(repository);
      const octokit = await client(repository);
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
        owner,
        repo,
        sha: params.ref,
        environment: params.environment,
        per_page: 100,
      });
      const ours = data.find((deployment) => markerOf(deployment.payload) === params.recordId);
      return ours ? Number(ours.id) : null;
    },

    async createStatus(repository, deploymentId, params) {
      const [owner, repo] = split(repository);
      const octokit = await client(repository);
      const { data } = await octokit.request(
        'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        {
          owner,
          repo,
          deployment_id: deploymentId,
          state: params.state as 'success',
          description: truncate(params.description),
          // Sent on every status: a status without it makes GitHub's "View deployment" button vanish.
          ...(params.environmentUrl ? { environment_url: params.environmentUrl } : {}),
          ...(params.logUrl ? { log_url: params.logUrl } : {}),
          auto_inactive: true,
        },
      );
      return Number(data.id);
    },

    async markerOfDeployment(repository, deploymentId) {
      const [owner, repo] = split(repository);
      const octokit = await client(repository);
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}', {
          owner,
          repo,
          deployment_id: deploymentId,
        });
        return markerOf(data.payload);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async deleteDeployment(repository, deploymentId) {
      const [owner, repo] = split(repository);
      const octokit = await client(repository);
      try {
        await octokit.request('DELETE /repos/{owner}/{repo}/deployments/{deployment_id}', {
          owner,
          repo,
          deployment_id: deploymentId,
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

const split = splitRepository;

function truncate(description: string | null): string | undefined {
  if (!description) return undefined;
  return description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description;
}
