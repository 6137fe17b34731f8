import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { type FieldIssue, illFormed } from '../well-formed.ts';
import { badRequest } from './problem.ts';

/**
 * Refuses a request whose path segments or query parameters hold text that cannot be stored
 * (a NUL byte, a lone surrogate, percent-encoding that is not UTF-8), naming the parameter,
 * before any handler passes it to the database.
 */
export function wellFormedUrl(): MiddlewareHandler {
  return async (c, next) => {
    // Printable ASCII without percent-encoding decodes to itself: nothing in it can be ill-formed.
    if (PLAIN.test(c.req.url)) return next();
    const url = new URL(c.req.url);
    const issues = [...pathIssues(url.pathname, routePath(c, -1)), ...queryIssues(url.search)];
    if (issues.length > 0) {
      throw badRequest(`Invalid ${issues.map((issue) => issue.field).join(', ')}.`, { errors: issues });
    }
    return next();
  };
}

const PLAIN = /^[!-$&-~]*$/;

function pathIssues(pathname: string, pattern: string): FieldIssue[] {
  const names = pattern.split('/');
  return pathname.split('/').flatMap((segment, index) => {
    const name = names[index]?.startsWith(':') ? names[index].slice(1) : `path segment ${index}`;
    const message = decodedIssue(segment);
    return message ? [{ field: name, message }] : [];
  });
}

function queryIssues(search: string): FieldIssue[] {
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter(Boolean)
    .flatMap((pair) => {
      const [rawName = '', ...rest] = pair.split('=');
      const nameIssue = decodedIssue(rawName);
      const name = nameIssue ? rawName : safeDecode(rawName);
      const valueIssue = decodedIssue(rest.join('='));
      return [
        ...(nameIssue ? [{ field: `query parameter ${name}`, message: `its name ${nameIssue}` }] : []),
        ...(valueIssue ? [{ field: `query parameter ${name}`, message: valueIssue }] : []),
      ];
    });
}

function decodedIssue(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return 'is not valid percent-encoded UTF-8';
  }
  return illFormed(decoded);
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}
