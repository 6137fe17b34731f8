import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredRoutes } from '../helpers/app-routes.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ROOT, type RunningServer, startServer } from '../helpers/server.ts';

const run = promisify(execFile);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('GET /openapi.json', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document read freely
  let doc: any;
  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(
      ([pathName, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${pathName}`, operation })),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url });
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    doc = await response.json();
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('describes the API from the schemas the routes validate with', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.components.schemas.CreateDeploymentRequest;
    expect(create.required).toEqual(['repository', 'environment', 'sha']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.state.enum).toEqual(
      expect.arrayContaining(['in_progress', 'running', 'success']),
    );
    expect(create.properties.sha.pattern).toBe('^[0-9a-fA-F]{7,64}$');
    const record = doc.components.schemas.Deployment;
    expect(record.properties.kind.enum).toEqual(['forward', 'redeploy', 'rollback']);
    expect(record.required).toContain('kind');
    expect(Object.keys(doc.paths['/v1/deployments'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '403', '409', '413', '422']),
    );
    for (const path of [
      '/v1/deployments/{id}/status',
      '/v1/deployments/by-key/{owner}/{repo}/{environment}/{key}/status',
    ]) {
      expect(Object.keys(doc.paths[path].post.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '404', '413']),
      );
    }
    const dora = doc.paths['/v1/dora'].get;
    expect(dora.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'cursor',
      'environment',
      'limit',
      'repository',
      'since',
      'until',
    ]);
    expect(Object.keys(doc.components.schemas.DoraReport.properties.environments.items.properties)).toEqual(
      expect.arrayContaining([
        'change_lead_time',
        'failed_deployment_recovery_time',
        'deployment_rework_rate',
      ]),
    );
  });

  it('has every route the router answers, and nothing else', () => {
    const documented = operations()
      .map((o) => o.route)
      .sort();
    expect(documented).toEqual(answeredRoutes());
    expect(documented).toContain('GET /v1/dora');
  });

  it('names every operation with an operationId of its own', () => {
    const ids = operations().map((o) => o.operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lints clean with Redocly (recommended rules; the named exceptions in .redocly.lint-ignore.yaml)', async () => {
    const file = path.join(ROOT, 'test/.artifacts/openapi.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const redocly = path.join(ROOT, 'node_modules/.bin/redocly');
    const { stdout } = await run(redocly, ['lint', path.relative(ROOT, file), '--format=json'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number; ignored: number };
      problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(report.totals.ignored).toBeLessThanOrEqual(3);
  });
});
