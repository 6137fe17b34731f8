import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Principal } from '../auth/api-keys.ts';
import type { VersionedRecord } from '../db/deployment-sql.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { type AuthEnv, assertRepository } from './auth.ts';
import { reportStatus, reportStatusByKey } from './deployment-operations.ts';
import { presentDeployment } from './present.ts';
import { notFound } from './problem.ts';
import { assertRunMatchesToken, readableRecord } from './record-access.ts';
import { noteDeployment } from './request-log.ts';
import type { StatusBody } from './schemas.ts';
import { addValidatedRoute } from './validated-route.ts';

// A status report, by the record's id or by its key: decided by the core on the record as named
// (the store's conditional write refuses it if the record changed since, and decides again).

// `read`: the record a status names, with its row version, for the status's conditional write.
type RecordEnv = { Variables: { read: VersionedRecord } };

/** Adds the two status routes to the deployments app (mounted at /v1/deployments). */
export function addStatusRoutes(app: OpenAPIHono<AuthEnv>, store: LedgerStore): void {
  // A status names its record in the path: found (404, 403) before the body is read (400), as
  // the route's middleware (addValidatedRoute reads and checks the body after it).
  const recordFirst = (find: (c: Context<AuthEnv & RecordEnv>) => Promise<VersionedRecord>) =>
    createMiddleware<AuthEnv & RecordEnv>(async (c, next) => {
      const read = await find(c);
      noteDeployment(c, read.record.id);
      c.set('read', read);
      await next();
    });
  // The record as last seen here: the status's write checks its version (a stale one is read again).
  const byId = recordFirst(async (c) => {
    const { repositories } = c.get('principal');
    const read = await readableRecord(store, c.req.param('id') ?? '', repositories, 'recall');
    assertRunMatchesToken(c.get('principal'), read.record.key);
    return read;
  });
  // The record stored under the key now (one indexed read), decided on as byId's.
  const byKey = recordFirst(async (c) => {
    const param = (name: string) => c.req.param(name) ?? '';
    const [repository, environment, key] = [
      `${param('owner')}/${param('repo')}`,
      param('environment'),
      param('key'),
    ];
    assertRepository(c.get('principal'), repository);
    assertRunMatchesToken(c.get('principal'), key);
    const read = await store.readByKey(repository, environment, key);
    if (!read) throw notFound(`No deployment of ${repository} to ${environment} has the key ${key}.`);
    return read;
  });
  addValidatedRoute(app, { ...reportStatus, middleware: byId }, async (c) =>
    c.json(await applyStatus(c.get('principal'), c.get('read'), c.req.valid('json')), 200),
  );
  addValidatedRoute(app, { ...reportStatusByKey, middleware: byKey }, async (c) =>
    c.json(await applyStatus(c.get('principal'), c.get('read'), c.req.valid('json')), 200),
  );

  async function applyStatus(principal: Principal, read: VersionedRecord, body: StatusBody) {
    const signal = {
      source: 'action' as const,
      state: body.state,
      at: body.at ? new Date(body.at) : new Date(),
      environmentUrl: body.environment_url,
      logUrl: body.log_url,
      description: body.description,
    };
    // A record read afresh (the one known here was stale) is checked again: it may have moved to
    // a repository the token may not act on.
    const { id } = read.record;
    const result = await store.apply(id, signal, read, (fresh) =>
      assertRepository(principal, fresh.repository),
    );
    if (!result) throw notFound(`No deployment has the id ${id}.`);
    return { ...presentDeployment(result.record), applied: result.applied, reason: result.reason };
  }
}
