import { createRoute } from '@hono/zod-openapi';
import type { TokenVerifier } from '../auth/api-keys.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { computeDoraPage, decodeDoraCursor, encodeDoraCursor } from '../dora/page.ts';
import { presentDora } from '../dora/present.ts';
import { resolveWindow } from '../dora/window.ts';
import { type AuthEnv, assertRepository, requireBearer } from './auth.ts';
import { doraQuerySchema, doraResponseSchema } from './dora-schemas.ts';
import { apiErrors, openApiApp } from './openapi.ts';
import { badRequest } from './problem.ts';

const getDora = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getDora',
  tags: ['dora'],
  summary: 'The five DORA figures per repository and environment the token may read',
  request: { query: doraQuerySchema },
  responses: {
    200: {
      description:
        'One entry per (repository, environment), with its trend, a page at a time in (repository, environment) order',
      content: { 'application/json': { schema: doraResponseSchema } },
    },
    ...apiErrors,
  },
});

/** GET /v1/dora: the five DORA figures per (repository, environment) the token may read. */
export function doraRoutes({ prisma, verifiers }: { prisma: PrismaClient; verifiers: TokenVerifier[] }) {
  const app = openApiApp<AuthEnv>();
  app.use('*', requireBearer(verifiers));
  app.openapi(getDora, async (c) => {
    const query = c.req.valid('query');
    const principal = c.get('principal');
    if (query.repository) assertRepository(principal, query.repository);
    const window = resolveWindow(query);
    if ('error' in window) throw badRequest(window.error);
    const { reports, next } = await computeDoraPage(
      prisma,
      {
        repositories: query.repository ? [query.repository] : principal.repositories,
        environment: query.environment,
      },
      window,
      { after: query.cursor ? decodeDoraCursor(query.cursor) : undefined, limit: query.limit },
    );
    return c.json(
      {
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        bucket_seconds: window.bucketMs / 1000,
        environments: reports.map(presentDora),
        next_cursor: next ? encodeDoraCursor(next) : null,
      },
      200,
    );
  });
  return app;
}
