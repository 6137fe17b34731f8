import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError, Refusal } from '../errors.ts';

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

export { badRequest, forbidden, notFound, unauthorized } from '../errors.ts';

const STATUS: Record<Refusal, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
};

/** The answer to a domain refusal: its status, and the headers that tell a client what to do. */
export function fromDomainError(error: DomainError): Problem {
  const headers: Record<string, string> = {};
  if (error.refusal === 'unauthorized') headers['www-authenticate'] = 'Bearer';
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return new Problem(STATUS[error.refusal], error.title, error.detail, error.extra, headers);
}
