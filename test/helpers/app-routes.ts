import { buildApp } from '../../server/http/app.ts';

// Building the app registers its routes and touches none of its dependencies: stand-ins do.
const unused = {} as never;
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as never;

/**
 * Every (method, path) the server's router answers, as OpenAPI writes paths (`/v1/deployments/{id}`),
 * the dashboard included; middleware (`use`, method ALL) is not a route.
 */
export function answeredRoutes(): string[] {
  const app = buildApp({
    prisma: unused,
    store: unused,
    verifiers: [],
    metrics: { registry: {} } as never,
    logger: quiet,
    bodyLimit: 65_536,
    webhooks: { verifier: unused, inbox: unused, onStored() {} },
    dashboard: {
      prisma: unused,
      apiKeys: unused,
      sessions: unused,
      public: false,
      live: unused,
      links: unused,
    },
  });
  const routes = app.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  return [...new Set(routes)].sort();
}
