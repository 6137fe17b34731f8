import { OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { TokenVerifier } from '../auth/api-keys.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { currentPerEnvironment, stripMarks, visibleRepositories } from '../db/dashboard-reads.ts';
import { findById, listDeployments } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { findTimeline } from '../db/timeline.ts';
import type { RecoveryReport } from '../jobs/recovery-status.ts';
import { parseState } from '../ledger/index.ts';
import { assetRoutes } from './assets.ts';
import { doraPageRoute } from './dora-route.tsx';
import { historyPageRoute } from './history-route.tsx';
import type { LinkOptions } from './links.ts';
import { listAnswer } from './list-answer.ts';
import type { LiveHub } from './live.ts';
import {
  dashboardSecurityScheme,
  getDeployment,
  getDeploymentFragment,
  getEnvironments,
  getEnvironmentsFragment,
  getHistory,
  getLive,
  getSignIn,
  postSignIn,
  postSignOut,
} from './operations.ts';
import { notFoundPage, page } from './page-shell.tsx';
import { DeploymentDetail, DeploymentPage } from './pages/deployment.tsx';
import { EnvironmentsPage, EnvironmentsTable, environmentRows } from './pages/environments.tsx';
import { HistoryPage } from './pages/history.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { sameOrigin } from './same-origin.ts';
import type { Sessions } from './session.ts';
import { canSee, type Viewer } from './viewer.ts';

export interface DashboardDeps {
  prisma: PrismaClient;
  /** Verifies the project API key typed into the sign-in form. */
  apiKeys: TokenVerifier;
  sessions: Sessions;
  /** DEPLOYLEDGER_DASHBOARD_PUBLIC: everyone sees every repository, no sign-in. */
  public: boolean;
  live: LiveHub;
  links: LinkOptions;
  /** DEPLOYLEDGER_PUBLIC_URL: forms posted from this origin are same-site even behind a proxy. */
  publicUrl?: string | undefined;
  /** The recovery of missed GitHub deliveries: shown on the start page, as /readyz shows it. */
  recovery?: () => RecoveryReport;
}

type Env = { Variables: { viewer: Viewer } };

const DAY_MS = 86_400_000;
const PAGE_SIZE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Only a path inside the dashboard may be the target after signing in (no open redirect), and
 * only in printable ASCII: a CR/LF or other control character (header injection) or anything a
 * Location header cannot carry falls back to the dashboard's start page.
 */
function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    /^\/dashboard(\/|\?|$)/.test(next) &&
    !next.startsWith('//') &&
    /^[\x21-\x7e]*$/.test(next)
    ? next
    : '/dashboard';
}

/** Server-rendered, read-only pages over the ledger, behind a sign-in unless made public. */
export function dashboardRoutes(deps: DashboardDeps) {
  const { prisma, sessions, live, links } = deps;
  const app = new OpenAPIHono<Env>();
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', dashboardSecurityScheme);

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
  );
  app.use('*', sameOrigin(deps.publicUrl));
  app.route('/assets', assetRoutes());

  app.openapi(getSignIn, async (c) => {
    if (deps.public) return c.redirect('/dashboard');
    return c.html(page(null, 'Sign in', <SignInPage next={safeNext(c.req.query('next'))} />));
  });
  app.openapi(postSignIn, async (c) => {
    // A body that is no form (a malformed multipart one) is the sender's mistake: 400, not 500.
    const form = await c.req.parseBody().catch(() => null);
    if (form === null) {
      const error = 'The sign-in form could not be read. Sign in from this page.';
      return c.html(page(null, 'Sign in', <SignInPage next={safeNext(undefined)} error={error} />), 400);
    }
    const next = safeNext(form.next);
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const principal = key ? await deps.apiKeys.verify(key) : null;
    if (!principal || principal.kind !== 'api_key') {
      const error =
        'That is not a valid project API key. Create one with `deployledger keys create <owner/repo>`.';
      return c.html(page(null, 'Sign in', <SignInPage next={next} error={error} />), 401);
    }
    await sessions.start(c, principal.repositories);
    return c.redirect(next, 303);
  });
  app.openapi(postSignOut, (c) => {
    sessions.end(c);
    return c.redirect('/dashboard/sign-in', 303);
  });

  // Everything below needs a viewer: a session, or the explicit public setting.
  app.use('*', async (c, next) => {
    const viewer: Viewer | null = deps.public
      ? { repositories: null, signedIn: false }
      : await sessions.read(c);
    if (!viewer) {
      if (c.req.method === 'GET' && !/^\/dashboard\/(fragments|live)\b/.test(c.req.path)) {
        const url = new URL(c.req.url);
        return c.redirect(`/dashboard/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
      }
      return c.text('Sign in first: /dashboard/sign-in', 401);
    }
    c.set('viewer', viewer);
    return next();
  });

  const environments = async (viewer: Viewer, repository: string | undefined) => {
    const scope = repository ? (canSee(viewer, repository) ? [repository] : []) : viewer.repositories;
    return currentPerEnvironment(prisma, scope);
  };

  app.openapi(getEnvironments, async (c) => {
    const viewer = c.get('viewer');
    const repository = c.req.query('repository') || undefined;
    const [records, repositories] = await Promise.all([
      environments(viewer, repository),
      visibleRepositories(prisma, viewer.repositories),
    ]);
    return listAnswer(
      c,
      page(
        viewer,
        'Environments',
        <EnvironmentsPage
          records={records}
          repositories={repositories}
          repository={repository}
          recovery={deps.recovery ? { report: deps.recovery(), viewer } : undefined}
        />,
        'environments',
      ),
      environmentRows(records, links),
    );
  });
  app.openapi(getEnvironmentsFragment, async (c) => {
    const records = await environments(c.get('viewer'), c.req.query('repository') || undefined);
    return listAnswer(c, html`${<EnvironmentsTable records={records} />}`, environmentRows(records, links));
  });

  historyPageRoute(app, prisma, links);

  const readable = async (viewer: Viewer, id: string) => {
    const record = UUID.test(id) ? await findById(prisma, id) : null;
    return record && canSee(viewer, record.repository) ? record : null;
  };

  app.openapi(getDeployment, async (c) => {
    const viewer = c.get('viewer');
    const record = await readable(viewer, c.req.param('id'));
    if (!record) return c.html(notFoundPage(viewer, 'This deployment'), 404);
    const events = await findTimeline(prisma, record.id);
    return c.html(
      page(
        viewer,
        `Deployment ${record.key}`,
        <DeploymentPage record={record} events={events} links={links} />,
      ),
    );
  });
  app.openapi(getDeploymentFragment, async (c) => {
    const record = await readable(c.get('viewer'), c.req.param('id'));
    if (!record) return c.text('Not found', 404);
    return c.html(
      <DeploymentDetail record={record} events={await findTimeline(prisma, record.id)} links={links} />,
    );
  });

  doraPageRoute(app, prisma);

  // Server-Sent Events: "something you can see changed"; the page then fetches its fragment. The
  // stream ends with the session: an open page does not outlive it (nor a revoked key's session).
  app.openapi(getLive, (c) => {
    const viewer = c.get('viewer');
    const until = viewer.until ?? Number.POSITIVE_INFINITY;
    return streamSSE(c, async (stream) => {
      const unsubscribe = live.subscribe(({ id, repository, environment }) => {
        // These three names only, whatever a publisher hands over: a record holds what no page
        // may show (a metrics endpoint's credentials).
        const data = JSON.stringify({ id, repository, environment });
        if (Date.now() < until && canSee(viewer, repository))
          void stream.writeSSE({ event: 'change', data }).catch(() => {});
      });
      stream.onAbort(unsubscribe);
      await stream.writeSSE({ event: 'ready', data: '' });
      // One promise a stream: a new `live.closed.then` each round would stay reachable from the
      // server's lifetime promise after its round lost the race, a leak for as long as it runs.
      const serverStopped = live.closed.then(() => true);
      while (!stream.aborted && !stream.closed && Date.now() < until) {
        const stopped = await Promise.race([
          serverStopped,
          stream.sleep(Math.min(25_000, until - Date.now())).then(() => false),
        ]);
        if (stopped || Date.now() >= until) break;
        await stream.write(': keep-alive\n\n');
      }
      unsubscribe();
    });
  });

  return app;
}
