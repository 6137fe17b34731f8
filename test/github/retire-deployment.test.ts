import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGithubApi } from '../../server/github/client.ts';
import { startGithubApi } from '../helpers/github-api.ts';

// Reading our marker back and deleting, against the GitHub stand-in's HTTP API (GitHub's 422 rule).

const params = { ref: 'b'.repeat(40), environment: 'production', description: null, recordId: 'rec-9' };

describe('retiring a GitHub deployment of ours', () => {
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  const api = () => createGithubApi({ token: 'ghs_test' }, github.url);

  beforeAll(async () => {
    github = await startGithubApi();
  });
  afterAll(async () => {
    await github.close();
  });

  it("reads the marker of ours, none of GitHub's job deployment, undefined once gone", async () => {
    const job = github.startJob('acme/shop', {
      sha: params.ref,
      environment: 'production',
      runId: 3,
      runAttempt: 1,
    });
    const ours = await api().createDeployment('acme/shop', params);
    expect(await api().markerOfDeployment('acme/shop', ours)).toBe('rec-9');
    expect(await api().markerOfDeployment('acme/shop', job.id)).toBeNull();
    expect(await api().markerOfDeployment('acme/shop', 999_999)).toBeUndefined();
  });

  it('GitHub refuses to delete an active deployment beside others (422); an inactive one goes; a gone one is fine', async () => {
    const ours = await api().createDeployment('acme/shop', { ...params, recordId: 'rec-10' });
    await api().createStatus('acme/shop', ours, {
      state: 'in_progress',
      environmentUrl: null,
      logUrl: null,
      description: null,
    });
    await expect(api().deleteDeployment('acme/shop', ours)).rejects.toMatchObject({ status: 422 });
    await api().createStatus('acme/shop', ours, {
      state: 'inactive',
      environmentUrl: null,
      logUrl: null,
      description: null,
    });
    await api().deleteDeployment('acme/shop', ours);
    expect(github.deployments.some((d) => d.id === ours)).toBe(false);
    await expect(api().deleteDeployment('acme/shop', ours)).resolves.toBeUndefined();
  });
});
