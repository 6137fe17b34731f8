import type { Context } from 'hono';
import type { Principal, TokenVerifier } from '../auth/api-keys.ts';
import { decodeCursor, encodeCursor } from '../db/cursor.ts';
import { listDeployments as listRecords } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { CreateResult, LedgerStore } from '../db/ledger-store.ts';
import { findTimeline } from '../db/timeline.ts';
import { foldName, type NewDeployment, parseRunKey } from '../ledger/index.ts';
import { readMetricComparison } from '../sampling/compare.ts';
import { type AuthEnv, assertRepository, requireBearer } from './auth.ts';
import { createDeployment, getDeployment, listDeployments } from './deployment-operations.ts';
import { fingerprint } from './idempotency-key.ts';
import { openApiApp } from './openapi.ts';
import { presentDeployment, presentEvent } from './present.ts';
import { Problem } from './problem.ts';
import { assertRunMatchesKey, assertRunMatchesToken, readableRecord } from './record-access.ts';
import { answerHeader, noteDeployment } from './request-log.ts';
import type { CreateDeploymentBody } from './schemas.ts';
import { addStatusRoutes } from './status-routes.ts';
import { addValidatedRoute } from './validated-route.ts';

export interface DeploymentRoutesDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  verifiers: TokenVerifier[];
}

export function deploymentRoutes({ prisma, store, verifiers }: DeploymentRoutesDeps) {
  const app = openApiApp<AuthEnv>();
  app.use('*', requireBearer(verifiers));

  addValidatedRoute(app, createDeployment, async (c) => {
    const key = c.req.valid('header')['Idempotency-Key'];
    const body = c.req.valid('json');
    const principal = c.get('principal');
    assertRepository(principal, body.repository);
    assertRunMatchesToken(principal, key);
    assertRunMatchesKey(body, key);
    const result = await store.create(toNewDeployment(body, key, principal), 'action', new Date());
    noteDeployment(c, 'record' in result ? result.record.id : result.active.id);
    return answerCreate(c, result);
  });

  app.openapi(listDeployments, async (c) => {
    const query = c.req.valid('query');
    const principal = c.get('principal');
    if (query.repository) assertRepository(principal, query.repository);
    const rows = await listRecords(prisma, {
      repositories: query.repository ? [query.repository] : principal.repositories,
      environment: query.environment,
      state: query.state,
      limit: query.limit + 1,
      cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return c.json(
      {
        deployments: page.map(presentDeployment),
        next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null,
      },
      200,
    );
  });

  app.openapi(getDeployment, async (c) => {
    const { record } = await readableRecord(store, c.req.valid('param').id, c.get('principal').repositories);
    noteDeployment(c, record.id);
    const events = await findTimeline(prisma, record.id);
    const metrics = await readMetricComparison(prisma, record.id, record.metricsEndpoint);
    return c.json(
      { ...presentDeployment(record), events: events.map(presentEvent), ...(metrics ? { metrics } : {}) },
      200,
    );
  });

  addStatusRoutes(app, store);

  return app;
}

function toNewDeployment(
  body: CreateDeploymentBody,
  key: string,
  principal: Principal,
): NewDeployment & { supersede: boolean } {
  const fromKey = parseRunKey(key);
  return {
    repository: body.repository,
    environment: body.environment,
    // An OIDC token names its repository's GitHub id; an API key does not.
    repositoryId: principal.kind === 'oidc' ? (principal.repositoryId ?? null) : null,
    key,
    sha: body.sha.toLowerCase(),
    ref: body.ref ?? null,
    state: body.state ?? 'pending',
    runId: body.run_id ?? fromKey?.runId ?? null,
    runAttempt: body.run_attempt ?? fromKey?.runAttempt ?? null,
    githubDeploymentId: null,
    environmentUrl: body.environment_url ?? null,
    logUrl: body.log_url ?? null,
    description: body.description ?? null,
    metricsEndpoint: body.metrics_endpoint ?? null,
    ...k8sOf(body),
    ...fingerprints(body),
    commitAt: body.commit_at ? new Date(body.commit_at) : null,
    supersede: body.supersede ?? false,
    githubDeployment: body.github_deployment ?? true,
  };
}

/**
 * Names are compared case-insensitively, so `Acme/Shop` and `acme/shop` are the same request; the
 * legacy fingerprint (of the body as sent) matches records stored before that. Names already in
 * lower case make one body, so one hash.
 */
function fingerprints(body: CreateDeploymentBody) {
  const repository = foldName(body.repository);
  const environment = foldName(body.environment);
  const legacyFingerprint = fingerprint(body);
  if (repository === body.repository && environment === body.environment)
    return { fingerprint: legacyFingerprint, legacyFingerprint };
  return { fingerprint: fingerprint({ ...body, repository, environment }), legacyFingerprint };
}

/** The request's workloads (the first is the record's `k8s`) and expected clusters. */
function k8sOf(body: CreateDeploymentBody) {
  const clusters = body.k8s_clusters ?? [];
  if (!body.k8s) return { k8s: null, k8sClusters: clusters };
  const { namespace } = body.k8s;
  const names = typeof body.k8s.name === 'string' ? [body.k8s.name] : body.k8s.name;
  return {
    k8s: { namespace, name: names[0] as string },
    k8sWorkloads: names.map((name) => ({ namespace, name })),
    k8sClusters: clusters,
  };
}

function answerCreate(c: Context, result: CreateResult) {
  switch (result.kind) {
    case 'created':
      // The id is a uuid: the path needs no escaping.
      answerHeader(c, 'location', `/v1/deployments/${result.record.id}`);
      return c.json(presentDeployment(result.record), 201);
    case 'replay':
      answerHeader(c, 'idempotent-replayed', 'true');
      return c.json(presentDeployment(result.record), 200);
    case 'adopted':
      // GitHub's delivery opened the record first; this request completed it.
      return c.json(presentDeployment(result.record), 200);
    case 'key_reused':
      throw new Problem(
        422,
        'Idempotency key reused',
        `The key ${result.record.key} already names deployment ${result.record.id}, created with a different body. Use a new key for a new deployment.`,
        { deployment_id: result.record.id },
      );
    case 'environment_busy':
      throw new Problem(
        409,
        'Environment busy',
        `Deployment ${result.active.id} (key ${result.active.key}, sha ${result.active.sha}) is still ${result.active.state} on ${result.active.repository} / ${result.active.environment}. Send "supersede": true to replace it, or report its final status first.`,
        { active_deployment: presentDeployment(result.active) },
      );
  }
}
