/**
 * Refusals the domain raises (bad input, a missing or wrong credential, a part that cannot be
 * reached): what went wrong, not how to answer it. Producers and adapters throw these; the one
 * `onError` in `server/app.ts` answers each as `application/problem+json`, and the delivery
 * worker keeps a delivery whose payload was refused instead of retrying it.
 */
export type Refusal =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly refusal: Refusal,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    /** For `unavailable`: when trying again may succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) =>
  new DomainError('invalid', 'Invalid request', detail, extra);
export const notFound = (detail: string) => new DomainError('not_found', 'Not found', detail);
export const unauthorized = (detail: string) => new DomainError('unauthorized', 'Unauthorized', detail);
export const forbidden = (detail: string) => new DomainError('forbidden', 'Forbidden', detail);
export const tooLarge = (detail: string) => new DomainError('too_large', 'Body too large', detail);
export const unavailable = (title: string, detail: string, retryAfterSeconds?: number) =>
  new DomainError('unavailable', title, detail, {}, retryAfterSeconds);

/** Seconds a client should wait before retrying while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const databaseUnavailable = () =>
  unavailable(
    'Database unavailable',
    `The database cannot be reached right now; nothing is lost by retrying the same request (with the same Idempotency-Key) after ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
    DATABASE_RETRY_AFTER_SECONDS,
  );
