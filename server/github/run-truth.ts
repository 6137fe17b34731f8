import { RequestError } from '@octokit/request-error';
import { type GithubClients, splitRepository } from './octokit.ts';

/** What GitHub says about a workflow run attempt (the fields the reconciler reads). */
export interface RunAttempt {
  id: number;
  runAttempt: number;
  status: string | null;
  conclusion: string | null;
  updatedAt: string | null;
  htmlUrl: string | null;
}

/** GitHub's latest status of one of its deployments. */
export interface GithubStatus {
  id: number;
  state: string;
  createdAt: string;
  environmentUrl: string | null;
  logUrl: string | null;
  description: string | null;
}

/** The questions the reconciler asks GitHub; null when GitHub has no such thing (404). */
export interface GithubTruth {
  runAttempt(repository: string, runId: number, attempt: number): Promise<RunAttempt | null>;
  latestStatus(repository: string, deploymentId: number): Promise<GithubStatus | null>;
}

export function createGithubTruth(clients: GithubClients): GithubTruth {
  return {
    async runAttempt(repository, runId, attempt) {
      const [owner, repo] = splitRepository(repository);
      const octokit = await clients.forRepository(repository);
      try {
        const { data } = await octokit.request(
          'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}',
          { owner, repo, run_id: runId, attempt_number: attempt, exclude_pull_requests: true },
        );
        return {
          id: Number(data.id),
          runAttempt: data.run_attempt ?? attempt,
          status: data.status ?? null,
          conclusion: data.conclusion ?? null,
          updatedAt: data.updated_at ?? null,
          htmlUrl: data.html_url ?? null,
        };
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return null;
        throw error;
      }
    },

    async latestStatus(repository, deploymentId) {
      const [owner, repo] = splitRepository(repository);
      const octokit = await clients.forRepository(repository);
      try {
        // Newest first: the first one is the deployment's current state.
        const { data } = await octokit.request(
          'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
          { owner, repo, deployment_id: deploymentId, per_page: 1 },
        );
        const latest = data[0];
        if (!latest) return null;
        return {
          id: Number(latest.id),
          state: latest.state,
          createdAt: latest.created_at,
          environmentUrl: latest.environment_url || null,
          logUrl: latest.log_url || latest.target_url || null,
          description: latest.description || null,
        };
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return null;
        throw error;
      }
    },
  };
}
