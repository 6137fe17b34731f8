/**
 * Credentials in URLs (`https://user:secret@host/…`, e.g. a record's metrics_endpoint) are
 * used to fetch but never shown or logged: the userinfo becomes `***`.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** The same for every string in a JSON-like value (timeline details stored before redaction). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactUserinfo(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item)])) as T;
  }
  return value;
}
