import { timingSafeEqual } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { pingDatabase } from '../db/database.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Metrics } from '../metrics.ts';
import { malformedUrl, openApiApp } from './openapi.ts';
import { unauthorized } from './problem.ts';

const operation = { tags: ['operations'], security: [] };

const getHealth = createRoute({
  ...operation,
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  summary: 'Process up',
  responses: { 200: { description: 'ok' }, ...malformedUrl },
});
const getReadiness = createRoute({
  ...operation,
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  summary: 'Database reachable',
  responses: { 200: { description: 'ready' }, ...malformedUrl, 503: { description: 'not ready' } },
});
const getMetrics = createRoute({
  ...operation,
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics (with DEPLOYLEDGER_METRICS_TOKEN set: only with it as bearer token)',
  security: [{}, { bearer: [] }],
  responses: {
    200: { description: 'Text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
    401: { description: 'DEPLOYLEDGER_METRICS_TOKEN is set and was not given' },
  },
});

export function healthRoutes(prisma: PrismaClient, metrics: Metrics, metricsToken?: string) {
  const app = openApiApp();
  app.openapi(getHealth, (c) => c.json({ status: 'ok' }));
  // Background parts are shown but do not decide readiness: a cluster outage must not take
  // the API (which does not need the cluster) out of service.
  const components = () =>
    Object.fromEntries([...metrics.components].map(([name, report]) => [name, report()]));
  app.openapi(getReadiness, async (c) => {
    try {
      await pingDatabase(prisma);
      return c.json({ status: 'ready', database: 'ok', ...components() });
    } catch (error) {
      return c.json({ status: 'not ready', database: (error as Error).message, ...components() }, 503);
    }
  });
  app.openapi(getMetrics, async (c) => {
    if (metricsToken && !bearerMatches(c.req.header('authorization'), metricsToken)) {
      throw unauthorized(
        'GET /metrics needs Authorization: Bearer <DEPLOYLEDGER_METRICS_TOKEN> (in Prometheus: authorization.credentials).',
      );
    }
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  return app;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const sent = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}
