import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A replica decides a status on the record as it last saw it; when another replica changed the
// record since, the status must be decided on what is stored now.
describe('statuses for one record through two replicas', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const first = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
    const second = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
    servers = [first, second];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.drop();
  });

  it('decides on the stored record, not on what the other replica last saw', async () => {
    const [a, b] = servers.map((server) => apiClient(server.url, TOKEN)) as [
      ReturnType<typeof apiClient>,
      ReturnType<typeof apiClient>,
    ];
    const created = await a.create('1-1', { repository: 'acme/shop', environment: 'production', sha: SHA });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await a.status(id, { state: 'in_progress' })).body.state).toBe('in_progress');
    const failed = await b.status(id, { state: 'failure', description: 'smoke tests failed' });
    expect(failed.body).toMatchObject({ state: 'failure', applied: true });
    // The first replica saw the record in progress; a late in_progress does not reopen it.
    const late = await a.status(id, { state: 'in_progress', description: 'late' });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ state: 'failure', applied: false, description: 'smoke tests failed' });
    expect((await a.get(id)).body.state).toBe('failure');
    const timeline = (await a.get(id)).body.events.map((event: { state: string }) => event.state);
    expect(timeline).toEqual(['pending', 'in_progress', 'failure', 'in_progress']);
  });

  it('refuses a status for a record that moved to another repository since the replica saw it', async () => {
    const a = apiClient(servers[0]?.url ?? '', TOKEN);
    const created = await a.create('2-1', { repository: 'acme/shop', environment: 'staging', sha: SHA });
    expect(created.status).toBe(201);
    // The repository was renamed (as a delivery with GitHub's repository id respells it).
    await query(db.url, `UPDATE deployment SET repository = 'acme/renamed' WHERE id = $1`, [created.body.id]);
    const refused = await a.status(created.body.id, { state: 'in_progress' });
    expect(refused.status).toBe(403);
    const stored = await query<{ state: string }>(db.url, 'SELECT state FROM deployment WHERE id = $1', [
      created.body.id,
    ]);
    expect(stored[0]?.state).toBe('pending');
  });

  // Conditional writes (`WHERE version = N`) are only safe if every write moves the row version by
  // exactly one: the hot statements bump it themselves, the trigger does it for any other writer
  // (migration 20261214000300_lighter_writes). Twice would make a replica's remembered version
  // stale; never would let a stale decision overwrite a change.
  const versionOf = async (id: string) =>
    (await query<{ version: number }>(db.url, 'SELECT version FROM deployment WHERE id = $1', [id]))[0]
      ?.version;

  it('the row version moves by exactly one per write, whoever writes and however the statement sets it', async () => {
    const api = apiClient(servers[0]?.url ?? '', TOKEN);
    const created = await api.create('3-1', { repository: 'acme/shop', environment: 'version', sha: SHA });
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
