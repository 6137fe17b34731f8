import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { startServer } from '../helpers/server.ts';

const TOKEN = 'test-key-shutdown-0123456789';

describe('graceful shutdown', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('on SIGTERM finishes the requests in flight, answers none with a 5xx, and exits 0', async () => {
    const server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}` });
    const api = apiClient(server.url, TOKEN);
    const calls = Array.from({ length: 60 }, (_, i) =>
      api
        .create(`${7000 + i}-1`, {
          repository: 'acme/shop',
          environment: `shutdown-${i}`,
          sha: SHA,
          state: 'running',
        })
        .then(
          (answer) => answer.status,
          () => 'refused' as const,
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const exit = server.stop('SIGTERM');
    const statuses = await Promise.all(calls);
    expect(await exit).toBe(0);

    expect(statuses.filter((status) => typeof status === 'number' && status >= 500)).toEqual([]);
    const created = statuses.filter((status) => status === 201).length;
    expect(created).toBeGreaterThan(0);
    const rows = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM deployment');
    expect(Number(rows[0]?.n)).toBe(created);
    expect(server.logs.join('\n')).not.toContain('"level":"error"');
  });
});
