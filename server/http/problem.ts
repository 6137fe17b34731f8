import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error a client can act on, answered as RFC 9457 `application/problem+json`. */
export class Problem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const TYPE_BASE = 'https://deployledger.dev/problems/';

export function problemResponse(c: Context, problem: Problem): Response {
  const slug = problem.title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const body = {
    type: `${TYPE_BASE}${slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...problem.extra,
  };
  return c.body(JSON.stringify(body), problem.status, {
    'content-type': 'application/problem+json',
    ...problem.headers,
  });
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) =>
  new Problem(400, 'Invalid request', detail, extra);
export const notFound = (detail: string) => new Problem(404, 'Not found', detail);
export const unauthorized = (detail: string) =>
  new Problem(401, 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer' });
export const forbidden = (detail: string) => new Problem(403, 'Forbidden', detail);

/** Seconds a client should wait before retrying while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const databaseUnavailable = () =>
  new Problem(
    503,
    'Database unavailable',
    `The database cannot be reached right now; nothing is lost by retrying the same request (with the same Idempotency-Key) after ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
    {},
    { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
  );
