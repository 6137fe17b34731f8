import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Metrics } from '../metrics.ts';
import { unauthorized } from './problem.ts';

export function healthRoutes(prisma: PrismaClient, metrics: Metrics, metricsToken?: string) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Background parts are shown but do not decide readiness: a cluster outage must not take
  // the API (which does not need the cluster) out of service.
  const components = () =>
    Object.fromEntries([...metrics.components].map(([name, report]) => [name, report()]));
  app.get('/readyz', async (c) => {
    try {
      await prisma.$queryRaw`SELECT 1`;
      return c.json({ status: 'ready', database: 'ok', ...components() });
    } catch (error) {
      return c.json({ status: 'not ready', database: (error as Error).message, ...components() }, 503);
    }
  });
  app.get('/metrics', async (c) => {
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
