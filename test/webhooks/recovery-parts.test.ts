import { RequestError } from '@octokit/request-error';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { parseHookList } from '../../server/github/hooks.ts';
import { classifyGithubError } from '../../server/github/rate-limit.ts';
import { signalFromRun, signalFromStatus } from '../../server/github/reconcile-signal.ts';

function githubError(status: number, message: string, headers: Record<string, string> = {}) {
  return new RequestError(message, status, {
    request: { method: 'GET', url: 'https://api.github.com/app/hook/deliveries', headers: {} },
    response: { status, url: 'https://api.github.com/app/hook/deliveries', headers, data: { message } },
  });
}

describe('DEPLOYLEDGER_GITHUB_HOOKS and DEPLOYLEDGER_RECOVERY_INTERVAL_S', () => {
  it('reads repository and organization hooks', () => {
    expect(parseHookList('repo:acme/shop:12345, org:acme:678')).toEqual([
      { kind: 'repo', key: 'repo:acme/shop:12345', repository: 'acme/shop', hookId: 12345 },
      { kind: 'org', key: 'org:acme:678', org: 'acme', hookId: 678 },
    ]);
    expect(parseHookList('')).toEqual([]);
  });

  it('refuses a malformed or repeated hook, naming the variable and the entry', () => {
    expect(() => loadConfig({ DEPLOYLEDGER_GITHUB_HOOKS: 'repo:acme:12' })).toThrow(
      /DEPLOYLEDGER_GITHUB_HOOKS: "repo:acme:12" must be repo:<owner>\/<repo>:<hook id>/,
    );
    expect(() => loadConfig({ DEPLOYLEDGER_GITHUB_HOOKS: 'org:acme:1,org:acme:1' })).toThrow(
      /names a hook twice/,
    );
    expect(() => loadConfig({ DEPLOYLEDGER_RECOVERY_INTERVAL_S: '-5' })).toThrow(
      /DEPLOYLEDGER_RECOVERY_INTERVAL_S/,
    );
    expect(() => loadConfig({ DEPLOYLEDGER_RECOVERY_INTERVAL_S: 'often' })).toThrow(
      /DEPLOYLEDGER_RECOVERY_INTERVAL_S/,
    );
    expect(loadConfig({}).DEPLOYLEDGER_RECOVERY_INTERVAL_S).toBe(300);
    expect(loadConfig({ DEPLOYLEDGER_RECOVERY_INTERVAL_S: '0' }).DEPLOYLEDGER_RECOVERY_INTERVAL_S).toBe(0);
  });
});

describe("GitHub's rate limits", () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('waits for x-ratelimit-reset when the primary limit is used up', () => {
    const reset = now / 1000 + 900;
    const failure = classifyGithubError(
      githubError(403, 'API rate limit exceeded', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      }),
      now,
    );
    expect(failure).toMatchObject({ kind: 'rate_limited', retryAt: new Date(reset * 1000) });
  });

  it('honours Retry-After (secondary limits, 429), and waits a minute for a secondary limit without it', () => {
    expect(classifyGithubError(githubError(403, 'secondary', { 'retry-after': '30' }), now)).toMatchObject({
      kind: 'rate_limited',
      retryAt: new Date(now + 30_000),
    });
    expect(classifyGithubError(githubError(429, 'Too many requests'), now)).toMatchObject({
      kind: 'rate_limited',
      retryAt: new Date(now + 60_000),
    });
    expect(
      classifyGithubError(githubError(403, 'You have exceeded a secondary rate limit. Please wait.'), now),
    ).toMatchObject({ kind: 'rate_limited', retryAt: new Date(now + 60_000) });
  });

  it('tells a missing permission, a bad credential and a wrong hook id apart from an outage', () => {
    expect(classifyGithubError(githubError(403, 'Resource not accessible by integration')).kind).toBe(
      'forbidden',
    );
    expect(classifyGithubError(githubError(401, 'Bad credentials')).kind).toBe('unauthorized');
    expect(classifyGithubError(githubError(404, 'Not Found')).kind).toBe('not_found');
    expect(classifyGithubError(githubError(502, 'Bad Gateway')).kind).toBe('unavailable');
    expect(classifyGithubError(new Error('connect ECONNREFUSED')).kind).toBe('unavailable');
  });
});

describe("the reconciler's reading of GitHub's answers", () => {
  const run = (status: string, conclusion: string | null) => ({
    id: 1,
    runAttempt: 1,
    status,
    conclusion,
    updatedAt: '2026-12-01T10:00:00Z',
    htmlUrl: 'https://github.com/acme/shop/actions/runs/1/attempts/1',
  });

  it('a completed run ends the record as the run ended; a running one says nothing final', () => {
    expect(signalFromRun(run('completed', 'success'), [])).toMatchObject({
      source: 'reconcile',
      state: 'success',
      at: new Date('2026-12-01T10:00:00Z'),
      reason: 'workflow_run_success',
    });
    expect(signalFromRun(run('completed', 'failure'), [])?.state).toBe('failure');
    for (const conclusion of ['cancelled', 'timed_out', 'startup_failure', 'skipped'])
      expect(signalFromRun(run('completed', conclusion), [])?.state).toBe('error');
    expect(signalFromRun(run('in_progress', null), [])).toBeNull();
    expect(signalFromRun(run('queued', null), [])).toBeNull();
  });

  it("a terminal latest deployment status is taken at GitHub's time; an active one is not final", () => {
    const status = (state: string) => ({
      id: 5,
      state,
      createdAt: '2026-12-01T10:05:00Z',
      environmentUrl: 'https://shop.example.com',
      logUrl: null,
      description: null,
    });
    expect(signalFromStatus(status('success'), [])).toMatchObject({
      state: 'success',
      at: new Date('2026-12-01T10:05:00Z'),
      environmentUrl: 'https://shop.example.com',
      reason: 'github_status_success',
    });
    expect(signalFromStatus(status('inactive'), [])?.state).toBe('inactive');
    expect(signalFromStatus(status('in_progress'), [])).toBeNull();
    expect(signalFromStatus(status('queued'), [])).toBeNull();
  });
});
