import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRun, runAction } from '../helpers/action.ts';
import { apiClient, SHA } from '../helpers/api.ts';
import { eventually } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { API_KEYS, TOKEN } from './api-suite.ts';

describe('PostgreSQL unreachable: 503 with Retry-After, which the Action honours', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  const body = (environment: string) => ({ repository: 'acme/shop', environment, sha: SHA });
  // Read past the proxy: what the server wrote, whatever the outage.
  const stored = async () =>
    (await query<{ key: string }>(db.url, 'SELECT key FROM deployment ORDER BY key')).map((r) => r.key);

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(db.url);
    server = await startServer({
      DATABASE_URL: proxy.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    api = apiClient(server.url, TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
    await db?.drop();
  });

  for (const outage of ['terminate', 'refuse'] as const) {
    it(`connections ${outage === 'refuse' ? 'refused' : 'terminated'} → 503 + Retry-After, nothing written, then it recovers`, async () => {
      expect((await api.create(`before-${outage}`, body(`env-${outage}`))).status).toBe(201);
      await proxy.down(outage);
      try {
        for (const answer of [
          await api.create(`during-${outage}`, body(`env-${outage}-2`)),
          await api.list({ repository: 'acme/shop' }),
        ]) {
          expect(answer.status).toBe(503);
          expect(answer.headers.get('retry-after')).toBe('5');
          expect(answer.headers.get('content-type')).toContain('application/problem+json');
          expect(answer.body).toMatchObject({ status: 503, title: 'Database unavailable' });
          expect(answer.body.detail).toMatch(/retrying the same request/);
        }
      } finally {
        await proxy.up();
      }
      expect(await stored()).not.toContain(`during-${outage}`);
      // The server writes its logs asynchronously: the line may reach us just after the answer.
      await eventually(async () =>
        /database unreachable; answered 503 with Retry-After/.test(server.logs.join('\n')) ? true : undefined,
      );
      expect((await api.create(`during-${outage}`, body(`env-${outage}-2`))).status).toBe(201);
    });
  }

  it('the Action waits the Retry-After the server sends during an outage, then succeeds: one record', async () => {
    await proxy.down('refuse');
    const started = Date.now();
    const running = runAction({
      inputs: { 'server-url': server.url, token: TOKEN, environment: 'outage' },
      env: githubRun(4242),
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await proxy.up();
    const run = await running;
    expect(run.exitCode, run.log).toBe(0);
    expect(run.log).toContain('answered 503');
    expect(run.log).toContain('retrying in 5.0 s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    expect(await stored()).toContain('4242-1');
    const records = (await api.list({ repository: 'acme/shop', environment: 'outage' })).body.deployments;
    expect(records.map((r: { id: string }) => r.id)).toEqual([run.outputs['deployment-id']]);
  });
});
