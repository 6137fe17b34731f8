import type { OpenAPIHono } from '@hono/zod-openapi';
import { visibleRepositories } from '../db/dashboard-reads.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { computeDoraPage, DORA_PAGE_SIZE, decodeDoraCursor, encodeDoraCursor } from '../dora/page.ts';
import { lastDays } from '../dora/window.ts';
import { listAnswer } from './list-answer.ts';
import { getDora } from './operations.ts';
import { page } from './page-shell.tsx';
import { DoraPage, doraSections, WINDOW_CHOICES } from './pages/dora.tsx';
import { canSee, type Viewer } from './viewer.ts';

/**
 * GET /dashboard/dora: the DORA figures of the environments the viewer may see, a page of
 * DORA_PAGE_SIZE environments at a time (each draws five charts), in (repository, environment)
 * order. A cursor this server did not issue shows the first page, as the pages' other filters
 * are read leniently.
 */
export function doraPageRoute(app: OpenAPIHono<{ Variables: { viewer: Viewer } }>, prisma: PrismaClient) {
  app.openapi(getDora, async (c) => {
    const viewer = c.get('viewer');
    const repository = c.req.query('repository') || undefined;
    const environment = c.req.query('environment') || undefined;
    const chosen = Number(c.req.query('days'));
    const days = (WINDOW_CHOICES as readonly number[]).includes(chosen) ? chosen : 30;
    const window = lastDays(days);
    const { since, until } = window;
    const scope = repository ? (canSee(viewer, repository) ? [repository] : []) : viewer.repositories;
    const cursorText = c.req.query('cursor');
    let after: ReturnType<typeof decodeDoraCursor> | undefined;
    try {
      after = cursorText ? decodeDoraCursor(cursorText) : undefined;
    } catch {
      after = undefined;
    }
    const [{ reports, next }, repositories] = await Promise.all([
      computeDoraPage(prisma, { repositories: scope, environment }, window, { after, limit: DORA_PAGE_SIZE }),
      visibleRepositories(prisma, viewer.repositories),
    ]);
    const base = {
      ...(repository ? { repository } : {}),
      ...(environment ? { environment } : {}),
      days: String(days),
    };
    const link = (cursor?: string) =>
      `/dashboard/dora?${new URLSearchParams(cursor ? { ...base, cursor } : base)}`;
    return listAnswer(
      c,
      page(
        viewer,
        'DORA',
        <DoraPage
          reports={reports}
          repositories={repositories}
          repository={repository}
          days={days}
          since={since}
          until={until}
          next={next ? link(encodeDoraCursor(next)) : null}
          first={after ? link() : null}
        />,
        'dora',
      ),
      doraSections(reports),
    );
  });
}
