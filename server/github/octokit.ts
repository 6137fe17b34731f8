import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';

/** How long one call to GitHub may take before it is abandoned (Octokit has no timeout of its own). */
export const GITHUB_CALL_TIMEOUT_MS = 15_000;

/** Every call gets its own timeout (a page of a paginated list too), unless it brings a signal. */
function callTimeout(octokit: Octokit) {
  octokit.hook.before('request', (options) => {
    options.request = {
      ...options.request,
      signal: options.request?.signal ?? AbortSignal.timeout(GITHUB_CALL_TIMEOUT_MS),
    };
  });
}

/** Octokit with pagination that follows GitHub's `Link` header (pages or cursors) and call timeouts. */
export const GithubOctokit = Octokit.plugin(paginateRest, callTimeout);
export type GithubOctokit = InstanceType<typeof GithubOctokit>;

export type GithubAuth = { token: string } | { appId: string; privateKey: string };

const USER_AGENT = 'deployledger';

/**
 * The authenticated clients Deployledger uses: with a token, that token for everything; with a
 * GitHub App, the App itself (JWT: `/app/...`) and one installation client per repository or
 * organization (cached; @octokit/auth-app renews the installation token before it expires).
 */
export interface GithubClients {
  readonly kind: 'token' | 'app';
  /** The App's own client (JWT); null with a token. */
  app(): GithubOctokit | null;
  forRepository(repository: string): Promise<GithubOctokit>;
  forOrganization(org: string): Promise<GithubOctokit>;
}

export function createGithubClients(auth: GithubAuth, baseUrl = 'https://api.github.com'): GithubClients {
  if ('token' in auth) {
    const client = new GithubOctokit({ baseUrl, userAgent: USER_AGENT, auth: auth.token });
    return {
      kind: 'token',
      app: () => null,
      forRepository: async () => client,
      forOrganization: async () => client,
    };
  }
  const app = new GithubOctokit({
    baseUrl,
    userAgent: USER_AGENT,
    authStrategy: createAppAuth,
    auth: { appId: auth.appId, privateKey: auth.privateKey },
  });
  const installations = new Map<string, Promise<GithubOctokit>>();
  const installation = (cacheKey: string, find: () => Promise<number>) => {
    const cached = installations.get(cacheKey);
    if (cached) return cached;
    const created = find().then(
      (installationId) =>
        new GithubOctokit({
          baseUrl,
          userAgent: USER_AGENT,
          authStrategy: createAppAuth,
          auth: { appId: auth.appId, privateKey: auth.privateKey, installationId },
        }),
    );
    // A failed lookup (App not installed yet, GitHub down) is asked again next time.
    created.catch(() => installations.delete(cacheKey));
    installations.set(cacheKey, created);
    return created;
  };
  return {
    kind: 'app',
    app: () => app,
    forRepository(repository) {
      const [owner, repo] = splitRepository(repository);
      return installation(`repo:${repository}`, async () => {
        const { data } = await app.request('GET /repos/{owner}/{repo}/installation', { owner, repo });
        return data.id;
      });
    },
    forOrganization(org) {
      return installation(`org:${org}`, async () => {
        const { data } = await app.request('GET /orgs/{org}/installation', { org });
        return data.id;
      });
    },
  };
}

export function splitRepository(repository: string): [string, string] {
  const [owner, repo, extra] = repository.split('/');
  if (!owner || !repo || extra !== undefined) throw new Error(`not a repository name: ${repository}`);
  return [owner, repo];
}
