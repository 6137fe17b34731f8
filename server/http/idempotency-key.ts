import { hash } from 'node:crypto';
import { z } from 'zod';

export const MAX_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Reads `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): a structured-field
 * String such as `"123-1"`; the bare form `123-1` names the same key. The key, or why not.
 */
function readKey(header: string | undefined): { key: string } | { problem: string } {
  if (header === undefined || header.trim() === '') {
    return {
      problem: 'The Idempotency-Key header is required, e.g. Idempotency-Key: "<run_id>-<run_attempt>".',
    };
  }
  const text = header.trim();
  // A header sent twice arrives as its values joined with ", ": not one key. (A quoted key may
  // hold a comma; a bare one is the lenient form of one String, which cannot be a list.)
  if (!text.startsWith('"') && text.includes(',')) {
    return {
      problem:
        'The Idempotency-Key header must be sent once, holding one key; a bare key cannot contain a comma (quote it: "a,b").',
    };
  }
  const key = unquote(text);
  if (key === null) {
    return {
      problem:
        'The quoted Idempotency-Key is not a valid Structured Field String: inside the quotes only \\" and \\\\ may be escaped, and a quote must be escaped.',
    };
  }
  if (key === '') return { problem: 'The Idempotency-Key header is empty.' };
  if (key.length > MAX_KEY_LENGTH) {
    return {
      problem: `The Idempotency-Key is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed.`,
    };
  }
  if (!PRINTABLE_ASCII.test(key)) {
    return {
      problem:
        'The Idempotency-Key must be a Structured Field String (draft-ietf-httpapi-idempotency-key-header, RFC 8941): printable ASCII only (space to ~), no control or non-ASCII characters, e.g. Idempotency-Key: "123-1".',
    };
  }
  return { key };
}

/** The header as a route declares it: documented, and validated into the key it names. */
export const idempotencyKeyHeader = z
  .string()
  .optional()
  .transform((header, ctx) => {
    const read = readKey(header);
    if ('key' in read) return read.key;
    ctx.addIssue({ code: 'custom', message: read.problem });
    return z.NEVER;
  })
  .meta({
    description:
      '`"<run_id>-<run_attempt>"` (structured-field string; the bare form names the same key), at most 255 characters',
    maxLength: MAX_KEY_LENGTH + 2,
  });

/** A stable hash of a request body: the same fields with the same values hash alike. */
export function fingerprint(body: unknown): string {
  // One-shot: no Hash object per request.
  return hash('sha256', canonicalJson(body), 'hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let text = '';
    for (const key of Object.keys(record).sort()) {
      const field = record[key];
      if (field === undefined) continue;
      text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(field)}`;
    }
    return `{${text}}`;
  }
  return JSON.stringify(value);
}

/**
 * `"…"` with `\"` and `\\` escapes (RFC 8941 sf-string) → its content; anything else is the
 * bare form. A quoted value with another escape or an unescaped quote inside is null.
 */
function unquote(value: string): string | null {
  if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) return value;
  const inner = value.slice(1, -1);
  if (!/^(?:[^"\\]|\\["\\])*$/.test(inner)) return null;
  return inner.replace(/\\(["\\])/g, '$1');
}
