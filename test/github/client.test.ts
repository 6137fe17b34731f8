import { describe, expect, it } from 'vitest';
import { createGithubApi } from '../../server/github/client.ts';
import { createGithubClients } from '../../server/github/octokit.ts';
import { githubAppCredentials } from '../helpers/github-app-api.ts';
import { GITHUB_API_URL } from '../helpers/msw-github.ts';
import { useFakeGithub } from './msw-server.ts';

const api = () => createGithubApi({ token: 'ghp_msw_token' }, GITHUB_API_URL);
const params = { ref: 'a'.repeat(40), environment: 'production', description: null, recordId: 'rec-1' };

describe("the server's GitHub Deployments client (msw, in-process)", () => {
  const github = useFakeGithub();

  it('creates a deployment with our marker and without GitHub’s biting defaults', async () => {
    const id = await api().createDeployment('acme/shop', { ...params, description: 'x'.repeat(200) });
    expect(github.deployments.map((d) => d.id)).toEqual([id]);
    const sent = github.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/repos/acme/shop/deployments' });
    expect(sent?.body).toMatchObject({
      ref: params.ref,
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      payload: { deployledger: { id: 'rec-1' } },
    });
    expect(String(sent?.body?.description)).toHaveLength(140);
  });

  it('a 202 (GitHub merged the default branch instead) is not taken for a deployment', async () => {
    github.fail({ status: 202, message: 'Auto-merged main into topic-branch on deployment.' });
    await expect(api().createDeployment('acme/shop', params)).rejects.toThrow(
      /did not create the deployment \(HTTP 202\)/,
    );
  });

  it('finds the deployment it created earlier by its marker, and no other', async () => {
    const ours = await api().createDeployment('acme/shop', params);
    await api().createDeployment('acme/shop', { ...params, recordId: 'rec-2' });
    expect(await api().findOurDeployment('acme/shop', params)).toBe(ours);
    expect(await api().findOurDeployment('acme/shop', { ...params, recordId: 'rec-3' })).toBeNull();
  });

  it('posts a status carrying the environment URL forward, auto_inactive on', async () => {
    const id = await api().createStatus('acme/shop', 41, {
      state: 'success',
      environmentUrl: 'https://shop.example.com',
      logUrl: null,
      description: null,
    });
    expect(github.statuses.map((s) => s.id)).toEqual([id]);
    expect(github.requests.at(-1)?.body).toEqual({
      state: 'success',
      environment_url: 'https://shop.example.com',
      auto_inactive: true,
    });
  });

  it('a missing deployments permission fails with GitHub’s words', async () => {
    github.fail({ status: 403, message: 'Resource not accessible by integration' });
    await expect(api().createDeployment('acme/shop', params)).rejects.toThrow(
      /Resource not accessible by integration/,
    );
  });

  it('with a GitHub App: one installation lookup per repository, its token for the calls', async () => {
    const credentials = githubAppCredentials();
    const clients = createGithubClients(
      { appId: credentials.GITHUB_APP_ID, privateKey: credentials.GITHUB_APP_PRIVATE_KEY },
      GITHUB_API_URL,
    );
    const app = createGithubApi(clients);
    await app.createDeployment('acme/shop', params);
    await app.createStatus('acme/shop', 41, {
      state: 'in_progress',
      environmentUrl: null,
      logUrl: null,
      description: null,
    });
    const lookups = github.requests.filter((request) => request.path === '/repos/acme/shop/installation');
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.authorization).toMatch(/^bearer /i);
    const calls = github.requests.filter((request) =>
      request.path.startsWith('/repos/acme/shop/deployments'),
    );
    expect(calls.map((request) => request.authorization)).toEqual([
      'token ghs_installation_77',
      'token ghs_installation_77',
    ]);
  });

  it('a failed installation lookup is asked again next time', async () => {
    const credentials = githubAppCredentials();
    const clients = createGithubClients(
      { appId: credentials.GITHUB_APP_ID, privateKey: credentials.GITHUB_APP_PRIVATE_KEY },
      GITHUB_API_URL,
    );
    github.fail({ status: 404, message: 'Not Found' });
    await expect(clients.forRepository('acme/shop')).rejects.toThrow(/Not Found/);
    await expect(clients.forRepository('acme/shop')).resolves.toBeDefined();
  });
});
