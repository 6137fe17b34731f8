import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A replay answers the record stored under its key now: after the record moved on (here through
// another replica, which the answering one cannot have seen), and after the record was removed
// (as `deployledger repair` may merge one away), when the replay is a new create again.
describe('a replay of a key this server already answered', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS };
    servers = await Promise.all([startServer(env), startServer(env)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.drop();
  });

  const clients = () => servers.map((server) => apiClient(server.url, TOKEN));
  const request = { repository: 'acme/shop', environment: 'production', sha: SHA };

  it('answers the stored record as it is now, not as it was first answered', async () => {
    const [a, b] = clients() as [ReturnType<typeof apiClient>, ReturnType<typeof apiClient>];
    const created = await a.create('moved-1', request);
    expect(created.status).toBe(201);
    const first = await a.create('moved-1', request);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: created.body.id, state: 'pending' });
    await b.status(created.body.id, { state: 'in_progress' });
    const done = await b.status(created.body.id, { state: 'success', description: 'rolled out' });
    expect(done.body).toMatchObject({ state: 'success', applied: true });

    const replay = await a.create('moved-1', request);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toMatchObject({ id: created.body.id, state: 'success', description: 'rolled out' });
    const { events: _events, ...current } = (await a.get(created.body.id)).body;
    expect(replay.body).toEqual(current);
    // Another body under the known key is still refused.
    const reused = await a.create('moved-1', { ...request, sha: 'b'.repeat(40) });
    expect(reused.status).toBe(422);
    expect(reused.body.deployment_id).toBe(created.body.id);
  });

  it('creates anew when the record under a known key was removed', async () => {
    const [a] = clients() as [ReturnType<typeof apiClient>];
    const staging = { ...request, environment: 'staging' };
    const created = await a.create('removed-1', staging);
    expect(created.status).toBe(201);
    expect((await a.create('removed-1', staging)).status).toBe(200);
    await query(db.url, 'DELETE FROM deployment WHERE id = $1', [created.body.id]);

    const again = await a.create('removed-1', staging);
    expect(again.status).toBe(201);
    expect(again.headers.get('location')).toBe(`/v1/deployments/${again.body.id}`);
    expect(again.body.id).not.toBe(created.body.id);
    expect(again.body).toMatchObject({ key: 'removed-1', state: 'pending' });
    const replay = await a.create('removed-1', staging);
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(again.body.id);
    const stored = await query<{ id: string }>(db.url, "SELECT id FROM deployment WHERE key = 'removed-1'");
    expect(stored.map((row) => row.id)).toEqual([again.body.id]);
  });
});
