import type { OpenAPIHono } from '@hono/zod-openapi';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { stripMarks } from '../db/dashboard-reads.ts';
import { listDeployments } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { parseState } from '../ledger/index.ts';
import { stripMarkChunks } from './components/history-strip.tsx';
import type { LinkOptions } from './links.ts';
import { listAnswer } from './list-answer.ts';
import { getHistory } from './operations.ts';
import { notFoundPage, page } from './page-shell.tsx';
import { HistoryPage } from './pages/history.tsx';
import { canSee, type Viewer } from './viewer.ts';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 25;

/** GET /dashboard/environments/…: one environment's 90-day strip and its history, a page at a time. */
export function historyPageRoute(
  app: OpenAPIHono<{ Variables: { viewer: Viewer } }>,
  prisma: PrismaClient,
  links: LinkOptions,
) {
  app.openapi(getHistory, async (c) => {
    const viewer = c.get('viewer');
    const { owner, repo, environment } = c.req.param();
    const repository = `${owner}/${repo}`;
    if (!canSee(viewer, repository)) return c.html(notFoundPage(viewer, `${repository}`), 404);
    const state = parseState(c.req.query('state') ?? '') ?? undefined;
    const cursorText = c.req.query('cursor');
    const cursor = cursorText ? decodeCursor(cursorText) : undefined;
    const until = new Date();
    const stripSince = new Date(until.getTime() - 90 * DAY_MS);
    const [rows, strip] = await Promise.all([
      listDeployments(prisma, {
        repositories: [repository],
        environment,
        state,
        limit: PAGE_SIZE + 1,
        cursor,
      }),
      stripMarks(prisma, repository, environment, stripSince, until),
    ]);
    const records = rows.slice(0, PAGE_SIZE);
    const last = records.at(-1);
    return listAnswer(
      c,
      page(
        viewer,
        `${repository} · ${environment}`,
        <HistoryPage
          repository={repository}
          environment={environment}
          state={state}
          records={records}
          nextCursor={rows.length > PAGE_SIZE && last ? encodeCursor(last) : null}
          strip={strip}
          links={links}
          path={c.req.path}
        />,
        'environments',
      ),
      stripMarkChunks(strip, stripSince, until),
    );
  });
}
