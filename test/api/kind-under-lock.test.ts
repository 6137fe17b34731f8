import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A create decides its record's kind on the environment's history (ledger/kind.ts). A success
// that lands while the create waits for the environment's lock must count: the create reads the
// history under that lock, not before it.
describe('a create’s kind, with a success landing while it waits for the environment', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('is redeploy when the same sha reached success while the create waited', async () => {
    const api = apiClient(server.url, TOKEN);
    const body = { repository: 'acme/shop', environment: 'production', sha: SHA };
    const first = await api.create('1-1', body);
    expect(first.status).toBe(201);
    expect(first.body.kind).toBe('forward');

    // Another writer holds the environment's lock and turns the first record into a success.
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['acme/shop\nproduction']);
      await writer.query(
        `UPDATE deployment SET state = 'success', deployed_at = now(), completed_at = now() WHERE id = $1`,
        [first.body.id],
      );
      const second = api.create('2-1', body);
      // The create's statement has begun and waits for the lock.
      for (let waiting = 0; waiting === 0; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const { rows } = await writer.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
        );
        waiting = rows[0].n;
      }
      await writer.query('COMMIT');
      const created = await second;
      expect(created.status).toBe(201);
      expect(created.body.kind).toBe('redeploy');
    } finally {
      await writer.end();
    }
  });
});
