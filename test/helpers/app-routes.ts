import { type AppDeps, buildApp } from '../../server/app.ts';

/** A dependency the request must not reach: touching it fails the request (and so the test). */
export const untouchable = (name: string) =>
  new Proxy({} as never, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`the request reached ${name}.${String(property)}`);
    },
  });

const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as never;

/**
 * The server's app in this process, without a database: stand-ins for every dependency, and any
 * of them replaced by `deps`. For route-level tests with `app.request()`.
 */
export function inProcessApp(deps: Partial<AppDeps> = {}) {
  return buildApp({
    prisma: untouchable('prisma'),
    store: untouchable('store'),
    verifiers: [],
    metrics: { registry: {}, httpRequests: { observe() {} } } as never,
    logger: quiet,
    bodyLimit: 65_536,
    webhooks: {
      verifier: untouchable('webhooks.verifier'),
      inbox: untouchable('webhooks.inbox'),
      onStored() {},
    },
    dashboard: {
      prisma: untouchable('dashboard.prisma'),
      apiKeys: untouchable('dashboard.apiKeys'),
      sessions: untouchable('dashboard.sessions'),
      public: false,
      live: untouchable('dashboard.live'),
      links: untouchable('dashboard.links'),
    },
    ...deps,
  });
}

/**
 * Every (method, path) the server's router answers, as OpenAPI writes paths (`/v1/deployments/{id}`),
 * the dashboard included; middleware (`use`, method ALL) is not a route.
 */
export function answeredRoutes(): string[] {
  const routes = inProcessApp()
    .routes.filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
  return [...new Set(routes)].sort();
}
