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

  // Replays that arrive together share one read (batched-key-reads.ts): each still answers its
  // own record as stored when it was asked, while other records change under it.
  it('a burst of replays of many keys mixed with status changes: each answers its record as it is then', async () => {
    const [a, b] = clients() as [ReturnType<typeof apiClient>, ReturnType<typeof apiClient>];
    const requests = Array.from({ length: 24 }, (_, i) => ({
      key: `burst-${i}`,
      body: { repository: 'acme/shop', environment: `burst-${i}`, sha: SHA },
    }));
    const ids = await Promise.all(
      requests.map(async ({ key, body }) => {
        const created = await a.create(key, body);
        expect(created.status).toBe(201);
        expect((await a.create(key, body)).status).toBe(200); // now a key this server saw stored
        return created.body.id as string;
      }),
    );
    const replays = async (i: number, times: number) => {
      const { key, body } = requests[i] as (typeof requests)[number];
      const answers = await Promise.all(Array.from({ length: times }, () => a.create(key, body)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.headers.get('idempotent-replayed')).toBe('true');
      }
      return answers.map((answer) => answer.body);
    };

    await Promise.all(
      ids.map(async (id, i) => {
        await b.status(id, { state: 'in_progress' });
        for (const body of await replays(i, 4)) expect(body).toMatchObject({ id, state: 'in_progress' });
        const done = await b.status(id, { state: 'success', description: `rolled out ${i}` });
        expect(done.body).toMatchObject({ state: 'success', applied: true });
        const { events: _events, ...current } = (await a.get(id)).body;
        for (const body of await replays(i, 4)) expect(body).toEqual(current);
      }),
    );
  });

  it('in a burst of replays, creates anew when one record under a known key was removed', async () => {
    const [a] = clients() as [ReturnType<typeof apiClient>];
    const requests = Array.from({ length: 8 }, (_, i) => ({
      key: `gone-${i}`,
      body: { repository: 'acme/shop', environment: `gone-${i}`, sha: SHA },
    }));
    const created = await Promise.all(requests.map(({ key, body }) => a.create(key, body)));
    await Promise.all(requests.map(({ key, body }) => a.create(key, body)));
    const removed = created[3]?.body.id as string;
    await query(db.url, 'DELETE FROM deployment WHERE id = $1', [removed]);

    const answers = await Promise.all(requests.map(({ key, body }) => a.create(key, body)));
    for (const [i, answer] of answers.entries()) {
      if (i === 3) {
        expect(answer.status).toBe(201);
        expect(answer.body.id).not.toBe(removed);
      } else expect(answer.body).toMatchObject({ id: created[i]?.body.id, state: 'pending' });
    }
  });
});
