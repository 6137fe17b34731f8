import type { Context, MiddlewareHandler } from 'hono';

/**
 * Cross-site request forgery guard for the dashboard's forms (sign-in, sign-out, …): a
 * state-changing request is refused with 403 when the browser says it comes from another site.
 * - `Sec-Fetch-Site` (every current browser sends it): only `same-origin` and `none` (typed by
 *   the user) pass.
 * - Else `Origin`: its host must be this server's (`Host`, or `X-Forwarded-Host` behind a proxy)
 *   or `publicUrl`'s origin.
 * - Neither header: not a browser (curl, scripts), which cannot be forged into a request, passes.
 */
export function sameOrigin(publicUrl: string | undefined): MiddlewareHandler {
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  return async (c, next) => {
    if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return next();
    const refusal = crossSite(c, publicOrigin);
    if (refusal) {
      return c.text(
        `Forbidden: ${refusal}. Dashboard forms are accepted only from the dashboard's own pages.`,
        403,
      );
    }
    return next();
  };
}

function crossSite(c: Context, publicOrigin: string | null): string | null {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) {
    return site === 'same-origin' || site === 'none'
      ? null
      : `the request came from another site (Sec-Fetch-Site: ${site})`;
  }
  const origin = c.req.header('origin');
  if (origin === undefined) return null;
  if (publicOrigin !== null && origin === publicOrigin) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `the request came from an opaque or invalid origin (Origin: ${origin})`;
  }
  const hosts = [c.req.header('host'), ...(c.req.header('x-forwarded-host') ?? '').split(',')].map((h) =>
    h?.trim().toLowerCase(),
  );
  return hosts.includes(host.toLowerCase()) ? null : `the request came from ${origin}`;
}
