import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * Answers `c.req.header()` for this request from the headers Node already parsed. Hono reads them
 * from the request's WHATWG Headers, which @hono/node-server builds on first use from every raw
 * header (undici's checks, a sorted copy for the validators' `header()`): 2–3 % of a create's CPU
 * and its garbage, for the five or six headers a request needs. The answers are the same:
 * names in any case, a repeated header's values joined with ", " (`header()` with no name: every
 * header under its lower-case name, a repeated set-cookie's last value, as Headers' forEach
 * gives). Values come trimmed from Node's parser, as Headers would trim them. Without Node's
 * request (`app.request()` in tests) Hono's own way stays.
 */
export function readHeadersFromIncoming(c: Context): void {
  const rawHeaders = (c.env as { incoming?: Partial<IncomingMessage> } | undefined)?.incoming?.rawHeaders;
  if (!rawHeaders) return;
  const raw: string[] = rawHeaders;
  let joined: Map<string, string> | undefined;
  const byName = () => {
    if (joined) return joined;
    joined = new Map();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      if (name.charCodeAt(0) === 58) continue; // an HTTP/2 pseudo-header (":path"): not a header
      const value = raw[i + 1] as string;
      const before = joined.get(name);
      joined.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    return joined;
  };
  function header(name?: string): string | undefined | Record<string, string> {
    if (name !== undefined) return byName().get(name.toLowerCase());
    const all: Record<string, string> = Object.create(null);
    for (const [key, value] of byName()) all[key] = key === 'set-cookie' ? lastSetCookie(raw) : value;
    return all;
  }
  Object.defineProperty(c.req, 'header', { value: header, configurable: true, writable: true });
}

function lastSetCookie(raw: string[]): string {
  let last = '';
  for (let i = 0; i + 1 < raw.length; i += 2)
    if ((raw[i] as string).toLowerCase() === 'set-cookie') last = raw[i + 1] as string;
  return last;
}
