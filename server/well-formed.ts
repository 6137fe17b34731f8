/**
 * Text the database can store as it was sent. PostgreSQL refuses a NUL byte in `text` and
 * `jsonb` (22021, 22P05), and a lone UTF-16 surrogate has no UTF-8 form: the driver would
 * replace it with U+FFFD and store something the client never sent. Both are the client's
 * mistake, so they are answered 400 before anything is written.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why `text` cannot be stored as sent, or null when it can. */
export function illFormed(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL byte (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) {
    return 'contains a lone UTF-16 surrogate (e.g. "\\ud800" without its pair), which is not valid Unicode';
  }
  return null;
}

export interface FieldIssue {
  field: string;
  message: string;
}

/** Deeper than any payload we take: a walk stops there rather than overflow the stack. */
const MAX_DEPTH = 100;

/** Every string (and object key) in a parsed JSON value that cannot be stored, by its path. */
export function findIllFormed(value: unknown, path: string[] = []): FieldIssue[] {
  if (path.length > MAX_DEPTH) {
    return [
      { field: `${path.slice(0, 3).join('.')}.…`, message: `is nested more than ${MAX_DEPTH} levels deep` },
    ];
  }
  const field = path.length ? path.join('.') : '(body)';
  if (typeof value === 'string') {
    const message = illFormed(value);
    return message ? [{ field, message }] : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => findIllFormed(item, [...path, String(index)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyProblem = illFormed(key);
      const name = keyProblem ? JSON.stringify(key) : key;
      return [
        ...(keyProblem
          ? [{ field: [...path, name].join('.'), message: `the field name ${keyProblem}` }]
          : []),
        ...findIllFormed(item, [...path, name]),
      ];
    });
  }
  return [];
}

/** Replaces what cannot be stored with U+FFFD, so a payload can be kept for inspection. */
export function replaceIllFormed(value: unknown): unknown {
  if (typeof value === 'string')
    return value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');
  if (Array.isArray(value)) return value.map(replaceIllFormed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [replaceIllFormed(key) as string, replaceIllFormed(item)]),
    );
  }
  return value;
}
