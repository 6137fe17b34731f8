import { RequestError } from '@octokit/request-error';

/** Why a call to GitHub failed, in the terms an operator acts on. */
export type GithubFailure =
  | { kind: 'rate_limited'; retryAt: Date; message: string }
  | { kind: 'unauthorized' | 'forbidden' | 'not_found'; message: string }
  | { kind: 'unavailable'; message: string };

const SECONDARY_DEFAULT_MS = 60_000;

/**
 * Reads GitHub's rate-limit answers: `Retry-After` (secondary limits and 429), else
 * `x-ratelimit-remaining: 0` with `x-ratelimit-reset` (primary limit). A 403 whose message
 * names a secondary rate limit without `Retry-After` waits a minute, as GitHub advises.
 */
export function classifyGithubError(error: unknown, now = Date.now()): GithubFailure {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof RateLimited) return { kind: 'rate_limited', retryAt: error.retryAt, message };
  if (!(error instanceof RequestError)) return { kind: 'unavailable', message };
  const headers = error.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return { kind: 'rate_limited', retryAt: new Date(now + retryAfter * 1000), message };
  }
  const exhausted = exhaustedUntil(headers as Record<string, unknown>);
  if ((error.status === 403 || error.status === 429) && exhausted) {
    return { kind: 'rate_limited', retryAt: exhausted, message };
  }
  if (error.status === 429 || (error.status === 403 && /secondary rate limit/i.test(message))) {
    return { kind: 'rate_limited', retryAt: new Date(now + SECONDARY_DEFAULT_MS), message };
  }
  if (error.status === 401) return { kind: 'unauthorized', message };
  if (error.status === 403) return { kind: 'forbidden', message };
  if (error.status === 404) return { kind: 'not_found', message };
  return { kind: 'unavailable', message };
}

/** When the primary rate limit resets, if this answer used up the last request; else null. */
export function exhaustedUntil(headers: Record<string, unknown>): Date | null {
  if (String(headers['x-ratelimit-remaining'] ?? '') !== '0') return null;
  const reset = Number(headers['x-ratelimit-reset']);
  return new Date(Number.isFinite(reset) && reset > 0 ? reset * 1000 : Date.now() + SECONDARY_DEFAULT_MS);
}

/** Thrown when an answer says the next call would be refused: stop now, go on at `retryAt`. */
export class RateLimited extends Error {
  constructor(readonly retryAt: Date) {
    super(`GitHub's rate limit is used up until ${retryAt.toISOString()}`);
  }
}

/** Throws RateLimited when this answer used up the rate limit. */
export function checkBudget(headers: Record<string, unknown>): void {
  const until = exhaustedUntil(headers);
  if (until) throw new RateLimited(until);
}
