import { backoff } from '../server/backoff.ts';

/** The one place that decides whether and when to try a request again. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking for a longer pause than this is not waited for. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
};

/** A failure worth another try: a network error, a 5xx or a 429. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface RetryHooks {
  onRetry?: (failure: TransientError, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `operation` until it succeeds, throws something other than a TransientError, or the
 * attempts run out. Waits grow exponentially with jitter, or follow the server's Retry-After.
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  { onRetry, sleep = delay, random = Math.random }: RetryHooks = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt >= policy.maxAttempts) {
        throw new Error(`${error.message} — gave up after ${attempt} attempts.`);
      }
      if (error.retryAfterMs !== undefined && error.retryAfterMs > policy.maxRetryAfterMs) {
        throw new Error(
          `${error.message} — the server asked to wait ${Math.ceil(error.retryAfterMs / 1000)} s before retrying; giving up.`,
        );
      }
      const waitMs = error.retryAfterMs ?? backoff(attempt, policy.baseDelayMs, policy.maxDelayMs, random);
      onRetry?.(error, attempt, waitMs);
      await sleep(waitMs);
    }
  }
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
