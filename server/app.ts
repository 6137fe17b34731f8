import type { TokenVerifier } from './auth/api-keys.ts';
import { type DashboardDeps, dashboardRoutes } from './dashboard/index.ts';
import { getRoot } from './dashboard/operations.ts';
import type { DeliveryInbox } from './db/delivery-inbox.ts';
import type { PrismaClient } from './db/generated/client.ts';
import type { LedgerStore } from './db/ledger-store.ts';
import { isDatabaseUnavailable } from './db/unavailable.ts';
import { DomainError, databaseUnavailable } from './errors.ts';
import { bodyLimit } from './http/body-limit.ts';
import { deploymentRoutes } from './http/deployments.ts';
import { doraRoutes } from './http/dora.ts';
import { healthRoutes } from './http/health.ts';
import { openApiApp, serveOpenApiDocument } from './http/openapi.ts';
import { fromDomainError, Problem, problemResponse } from './http/problem.ts';
import { requestLog } from './http/request-log.ts';
import { webhookRoutes } from './http/webhooks.ts';
import { wellFormedUrl } from './http/well-formed-url.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { SignatureVerifier } from './webhooks/verify.ts';

export interface AppDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  verifiers: TokenVerifier[];
  metrics: Metrics;
  logger: Logger;
  bodyLimit: number;
  /** DEPLOYLEDGER_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string | undefined;
  webhooks: { verifier: SignatureVerifier; inbox: DeliveryInbox; onStored: () => void };
  dashboard?: DashboardDeps;
}

/** The HTTP surface: one sub-app per resource, one error boundary, one document of them all. */
export function buildApp(deps: AppDeps) {
  const app = openApiApp();

  app.use('*', requestLog(deps.logger, deps.metrics));
  app.use('*', wellFormedUrl());
  // The dashboard's forms (sign-in needs no auth) get the API's limit: a form is a few hundred bytes.
  for (const path of ['/v1/*', '/dashboard/*']) {
    app.use(
      path,
      bodyLimit({
        maxSize: deps.bodyLimit,
        onError: () => {
          throw new Problem(413, 'Body too large', `The body is larger than ${deps.bodyLimit} bytes.`);
        },
      }),
    );
  }

  app.route('/', healthRoutes(deps.prisma, deps.metrics, deps.metricsToken));
  app.route('/v1/deployments', deploymentRoutes(deps));
  app.route('/v1/dora', doraRoutes(deps));
  if (deps.dashboard) {
    app.route('/dashboard', dashboardRoutes(deps.dashboard));
    app.openapi(getRoot, (c) => c.redirect('/dashboard'));
  }
  // GitHub sends deliveries of up to 25 MB, and only once: a smaller limit would lose them.
  app.route(
    '/webhooks',
    webhookRoutes({ ...deps, ...deps.webhooks, bodyLimit: Math.max(deps.bodyLimit, 25 * 1024 * 1024) }),
  );
  serveOpenApiDocument(app);

  app.notFound((c) =>
    problemResponse(c, new Problem(404, 'Not found', `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((error, c) => {
    if (error instanceof Problem) return problemResponse(c, error);
    if (error instanceof DomainError) return problemResponse(c, fromDomainError(error));
    if (isDatabaseUnavailable(error)) {
      deps.logger.warn(
        { err: error, method: c.req.method, path: c.req.path },
        'database unreachable; answered 503 with Retry-After',
      );
      return problemResponse(c, fromDomainError(databaseUnavailable()));
    }
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return problemResponse(
      c,
      new Problem(
        500,
        'Internal error',
        'The server could not complete the request; it is safe to retry with the same Idempotency-Key.',
      ),
    );
  });
  return app;
}
