import { describe, expect, it } from 'vitest';
import { deliveryLog } from '../../server/github/delivery-log.ts';
import { parseHookList } from '../../server/github/hooks.ts';
import { createGithubClients } from '../../server/github/octokit.ts';
import { checkBudget, classifyGithubError, RateLimited } from '../../server/github/rate-limit.ts';
import { GITHUB_API_URL } from '../helpers/msw-github.ts';
import { useFakeGithub } from './msw-server.ts';

const octokit = () =>
  createGithubClients({ token: 'ghp_msw_token' }, GITHUB_API_URL).forRepository('acme/shop');
/** What a real call to GitHub threw (Octokit's RequestError), classified as the server does. */
const failureOf = async (now = Date.now()) => {
  const client = await octokit();
  const error = await client
    .request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}', {
      owner: 'acme',
      repo: 'shop',
      run_id: 1,
      attempt_number: 1,
    })
    .then(
      () => null,
      (thrown: unknown) => thrown,
    );
  expect(error).not.toBeNull();
  return classifyGithubError(error, now);
};

describe("GitHub's refusals, as the server reads them (msw, in-process)", () => {
  const github = useFakeGithub();

  it('primary rate limit: 403 with x-ratelimit-remaining 0 waits until x-ratelimit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    github.fail({
      status: 403,
      message: 'API rate limit exceeded for user ID 1.',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    expect(await failureOf()).toMatchObject({ kind: 'rate_limited', retryAt: new Date(reset * 1000) });
  });

  it('secondary limits: Retry-After is honoured; without it, a minute', async () => {
    const now = Date.now();
    github.fail({
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '45' },
    });
    expect(await failureOf(now)).toMatchObject({ kind: 'rate_limited', retryAt: new Date(now + 45_000) });
    github.fail({ status: 429, message: 'Too Many Requests', headers: { 'retry-after': '7' } });
    expect(await failureOf(now)).toMatchObject({ kind: 'rate_limited', retryAt: new Date(now + 7000) });
    github.fail({ status: 403, message: 'You have exceeded a secondary rate limit.' });
    expect(await failureOf(now)).toMatchObject({ kind: 'rate_limited', retryAt: new Date(now + 60_000) });
  });

  it('403 "Resource not accessible by integration" is a missing permission, not a rate limit', async () => {
    github.fail({ status: 403, message: 'Resource not accessible by integration' });
    const failure = await failureOf();
    expect(failure.kind).toBe('forbidden');
    expect(failure.message).toMatch(/Resource not accessible by integration/);
  });

  it('401, 404 and 5xx', async () => {
    github.fail({ status: 401, message: 'Bad credentials' });
    expect((await failureOf()).kind).toBe('unauthorized');
    github.fail({ status: 404, message: 'Not Found' });
    expect((await failureOf()).kind).toBe('not_found');
    github.fail({ status: 502, message: 'Server Error' });
    expect((await failureOf()).kind).toBe('unavailable');
  });

  it('a page that used up the limit stops the read before the next call (checkBudget)', async () => {
    const hook = github.addHook('/repos/acme/shop/hooks/12', 12);
    await hook.deliver('workflow_run', { action: 'completed' });
    github.exhaust();
    const [repoHook] = parseHookList('repo:acme/shop:12') as Exclude<
      ReturnType<typeof parseHookList>,
      string
    >;
    const pages = deliveryLog(
      repoHook!,
      createGithubClients({ token: 'ghp_msw_token' }, GITHUB_API_URL),
    ).pages();
    const { value: page } = await pages[Symbol.asyncIterator]().next();
    expect(page.headers['x-ratelimit-remaining']).toBe('0');
    let thrown: unknown;
    try {
      checkBudget(page.headers);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RateLimited);
    expect((thrown as RateLimited).retryAt.getTime()).toBe(Number(page.headers['x-ratelimit-reset']) * 1000);
    expect(classifyGithubError(thrown).kind).toBe('rate_limited');
  });
});
