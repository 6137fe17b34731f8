import { Hono } from 'hono';
import type { TokenVerifier } from '../auth/api-keys.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { computeDora } from '../dora/compute.ts';
import { presentDora } from '../dora/present.ts';
import { resolveWindow } from '../dora/window.ts';
import { check } from '../schema-check.ts';
import { type AuthEnv, assertRepository, requireBearer } from './auth.ts';
import { doraQuerySchema } from './dora-schemas.ts';
import { badRequest } from './problem.ts';

/** GET /v1/dora: the five DORA figures per (repository, environment) the token may read. */
export function doraRoutes({ prisma, verifiers }: { prisma: PrismaClient; verifiers: TokenVerifier[] }) {
  const app = new Hono<AuthEnv>();
  app.use('*', requireBearer(verifiers));
  app.get('/', async (c) => {
    const query = check(doraQuerySchema, c.req.query());
    const principal = c.get('principal');
    if (query.repository) assertRepository(principal, query.repository);
    const window = resolveWindow(query);
    if ('error' in window) throw badRequest(window.error);
    const reports = await computeDora(
      prisma,
      {
        repositories: query.repository ? [query.repository] : principal.repositories,
        environment: query.environment,
      },
      window,
    );
    return c.json({
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      bucket_seconds: window.bucketMs / 1000,
      environments: reports.map(presentDora),
    });
  });
  return app;
}
