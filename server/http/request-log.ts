import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { readHeadersFromIncoming } from './incoming-headers.ts';

// Keyed by the raw Request, which every sub-app of one request shares.
const deploymentOf = new WeakMap<Request, string>();

/** Names the deployment a request concerned, for its log line. */
export function noteDeployment(c: Context, id: string): void {
  deploymentOf.set(c.req.raw, id);
}

/**
 * Sets a header of the answer. On Node it goes to the socket's response, which the adapter's
 * writeHead merges with the answer's own: Hono's way makes a WHATWG Headers for every answer with
 * more than its content type, a measurable share of a short request's CPU and garbage.
 */
export function answerHeader(c: Context, name: string, value: string): void {
  const outgoing = (c.env as { outgoing?: Partial<ServerResponse> } | undefined)?.outgoing;
  if (outgoing?.setHeader && !outgoing.headersSent) outgoing.setHeader(name, value);
  else c.header(name, value);
}

/**
 * One JSON line per request (method, route, status, duration, request id, and the deployment
 * id or GitHub delivery id and event it concerned), and the request-duration histogram.
 */
export function requestLog(logger: Logger, metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    readHeadersFromIncoming(c); // the first middleware: before anything reads a header
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    await next();
    answerHeader(c, 'x-request-id', requestId);
    const seconds = (performance.now() - started) / 1000;
    const route = routePath(c) || 'unmatched';
    metrics.httpRequests.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    if (route === '/healthz' || route === '/readyz' || route === '/metrics') return;
    logger.info(
      {
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round(seconds * 1000),
        deployment_id: deploymentOf.get(c.req.raw) ?? null,
        delivery_id: c.req.header('x-github-delivery') ?? null,
        event: c.req.header('x-github-event'),
      },
      'request',
    );
  };
}
