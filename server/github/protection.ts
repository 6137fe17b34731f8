import { createAppAuth } from '@octokit/auth-app';
import type { GithubAuth } from './client.ts';
import { GithubOctokit } from './octokit.ts';

export interface ProtectionReview {
  repository: string;
  environment: string;
  callbackUrl: string;
  /** The App installation that sent the request (`installation.id` of the delivery). */
  installationId: number | null;
  state: 'approved' | 'rejected';
  comment: string;
}

/** Answers GitHub's deployment protection rule requests (the delivery's `deployment_callback_url`). */
export interface ProtectionReviewer {
  review(review: ProtectionReview): Promise<void>;
}

const CALLBACK_PATH = /\/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+\/deployment_protection_rule$/;

/**
 * The callback must go to the GitHub API this server is configured for, never to wherever a
 * payload points: it carries the installation token.
 */
export function checkCallbackUrl(callbackUrl: string, apiUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    return `deployment_callback_url is not a URL: ${callbackUrl}`;
  }
  const base = apiUrl.replace(/\/+$/, '');
  if (!`${url.origin}${url.pathname}`.startsWith(`${base}/`) || !CALLBACK_PATH.test(url.pathname)) {
    return `deployment_callback_url ${callbackUrl} is not a protection rule callback of GITHUB_API_URL (${base}); check GITHUB_API_URL`;
  }
  return null;
}

/**
 * With a GitHub App the review is sent with the installation's token (GitHub requires the App
 * that owns the rule); with GITHUB_TOKEN, with that token. Each call is abandoned after 15 s, as
 * every call to GitHub is (GithubOctokit): a stalled callback must not hold the outbox's tick.
 */
export function createProtectionReviewer(
  auth: GithubAuth,
  baseUrl = 'https://api.github.com',
): ProtectionReviewer {
  const userAgent = 'deployledger';
  const clients = new Map<string, GithubOctokit>();

  async function client(review: ProtectionReview): Promise<GithubOctokit> {
    if ('token' in auth) return new GithubOctokit({ baseUrl, userAgent, auth: auth.token });
    const installationId = review.installationId ?? (await installationOf(review.repository));
    const cached = clients.get(String(installationId));
    if (cached) return cached;
    const octokit = new GithubOctokit({
      baseUrl,
      userAgent,
      authStrategy: createAppAuth,
      auth: { appId: auth.appId, privateKey: auth.privateKey, installationId },
    });
    clients.set(String(installationId), octokit);
    return octokit;
  }

  async function installationOf(repository: string): Promise<number> {
    if ('token' in auth) throw new Error('unreachable: token auth has no installation');
    const [owner, repo] = repository.split('/');
    const app = new GithubOctokit({
      baseUrl,
      userAgent,
      authStrategy: createAppAuth,
      auth: { appId: auth.appId, privateKey: auth.privateKey },
    });
    const { data } = await app.request('GET /repos/{owner}/{repo}/installation', {
      owner: owner ?? '',
      repo: repo ?? '',
    });
    return data.id;
  }

  return {
    async review(review) {
      const problem = checkCallbackUrl(review.callbackUrl, baseUrl);
      if (problem) throw new Error(problem);
      const octokit = await client(review);
      await octokit.request('POST {url}', {
        url: review.callbackUrl,
        environment_name: review.environment,
        state: review.state,
        comment: review.comment,
      });
    },
  };
}
