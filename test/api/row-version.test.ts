import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// Conditional writes (`WHERE version = N`) are only safe if every write moves the row version by
// exactly one: the hot statements bump it themselves, the trigger does it for any other writer
// (migration 20261214000300_lighter_writes). Twice would make a replica's remembered version stale;
// never would let a stale decision overwrite a change.
describe('the row version', () => {
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

  const versionOf = async (id: string) =>
    (await query<{ version: number }>(db.url, 'SELECT version FROM deployment WHERE id = $1', [id]))[0]
      ?.version;

  it('moves by exactly one per write, whoever writes and however the statement sets it', async () => {
    const api = apiClient(server.url, TOKEN);
    const created = await api.create('1-1', { repository: 'acme/shop', environment: 'production', sha: SHA });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(await versionOf(id)).toBe(0);
    expect((await api.status(id, { state: 'in_progress' })).body.state).toBe('in_progress');
    expect((await api.status(id, { state: 'in_progress', description: 'rolling out' })).status).toBe(200);
    expect(await versionOf(id)).toBe(2);
    await query(db.url, `UPDATE deployment SET description = 'by hand' WHERE id = $1`, [id]);
    expect(await versionOf(id)).toBe(3);
    await query(db.url, 'UPDATE deployment SET version = version + 1 WHERE id = $1', [id]);
    expect(await versionOf(id)).toBe(4);
    await query(db.url, 'UPDATE deployment SET version = 0 WHERE id = $1', [id]);
    expect(await versionOf(id)).toBe(5);
    // The server still decides on what is stored: its remembered version is stale now.
    const done = await api.status(id, { state: 'success' });
    expect(done.body).toMatchObject({ state: 'success', applied: true, description: 'by hand' });
  });
});
