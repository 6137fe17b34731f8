import { RequestError } from '@octokit/request-error';
import { describe, expect, it } from 'vitest';
import { createGithubClients } from '../../server/github/octokit.ts';
import { classifyGithubError } from '../../server/github/rate-limit.ts';
import { createGithubTruth } from '../../server/github/run-truth.ts';
import { GITHUB_API_URL } from '../helpers/msw-github.ts';
import { useFakeGithub } from './msw-server.ts';

const truth = () => createGithubTruth(createGithubClients({ token: 'ghp_msw_token' }, GITHUB_API_URL));

describe('what the reconciler asks GitHub (msw, in-process)', () => {
  const github = useFakeGithub();

  it('a run attempt: its status, conclusion and time; an unknown one is null', async () => {
    github.setRunAttempt('acme/shop', 9001, 2, {
      status: 'completed',
      conclusion: 'failure',
      updated_at: '2026-12-01T10:00:00Z',
    });
    expect(await truth().runAttempt('acme/shop', 9001, 2)).toEqual({
      id: 9001,
      runAttempt: 2,
      status: 'completed',
      conclusion: 'failure',
      updatedAt: '2026-12-01T10:00:00Z',
      htmlUrl: 'https://github.acme.test/acme/shop/actions/runs/9001/attempts/2',
    });
    expect(github.requests.at(-1)).toMatchObject({
      path: '/repos/acme/shop/actions/runs/9001/attempts/2',
      search: '?exclude_pull_requests=true',
    });
    expect(await truth().runAttempt('acme/shop', 9001, 3)).toBeNull();
  });

  it("a deployment's latest status: the newest, one asked for; none is null", async () => {
    github.addStatus(41, { state: 'in_progress', environment_url: '', log_url: '', target_url: '' });
    github.addStatus(41, {
      state: 'success',
      environment_url: 'https://shop.example.com',
      log_url: '',
      target_url: 'https://ci.example.com/41',
      description: '',
    });
    expect(await truth().latestStatus('acme/shop', 41)).toMatchObject({
      state: 'success',
      environmentUrl: 'https://shop.example.com',
      logUrl: 'https://ci.example.com/41',
      description: null,
    });
    expect(github.requests.at(-1)?.search).toBe('?per_page=1');
    expect(await truth().latestStatus('acme/shop', 42)).toBeNull();
  });

  it('403 "Resource not accessible by integration" is thrown, not taken for "unknown"', async () => {
    github.fail({ status: 403, message: 'Resource not accessible by integration' });
    const error = await truth()
      .runAttempt('acme/shop', 1, 1)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RequestError);
    expect(classifyGithubError(error).kind).toBe('forbidden');
  });
});
