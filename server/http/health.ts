import { Hono } from 'hono';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Metrics } from '../metrics.ts';

export function healthRoutes(prisma: PrismaClient, metrics: Metrics) {
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
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  return app;
}
