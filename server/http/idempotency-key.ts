import { createHash } from 'node:crypto';
import { badRequest } from './problem.ts';

export const MAX_KEY_LENGTH = 255;

/**
 * Reads `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a structured-field
 * String such as `"123-1"`; the bare form `123-1` names the same key.
 */
export function parseIdempotencyKey(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw badRequest(
      'The Idempotency-Key header is required, e.g. Idempotency-Key: "<run_id>-<run_attempt>".',
    );
  }
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    key = key.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  if (key === '') throw badRequest('The Idempotency-Key header is empty.');
  if (key.length > MAX_KEY_LENGTH) {
    throw badRequest(
      `The Idempotency-Key is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed.`,
    );
  }
  if ([...key].some((ch) => ch < ' ' || ch === '\u007f')) {
    throw badRequest('The Idempotency-Key contains control characters.');
  }
  return key;
}

/** A stable hash of a request body: the same fields with the same values hash alike. */
export function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
