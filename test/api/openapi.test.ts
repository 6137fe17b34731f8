import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

describe('GET /openapi.json', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('describes the API from the schemas the routes validate with', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document read freely
    const doc: any = await response.json();
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.components.schemas.CreateDeploymentRequest;
    expect(create.required).toEqual(['repository', 'environment', 'sha']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.state.enum).toEqual(
      expect.arrayContaining(['in_progress', 'running', 'success']),
    );
    expect(create.properties.sha.pattern).toBe('^[0-9a-fA-F]{7,64}$');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/deployments',
        '/v1/deployments/{id}',
        '/v1/deployments/{id}/status',
        '/v1/deployments/by-key/{owner}/{repo}/{environment}/{key}/status',
        '/webhooks/github',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/deployments'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '403', '409', '413', '422']),
    );
  });
});
