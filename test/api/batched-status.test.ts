import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { errorLines, type RunningServer, startServer } from '../helpers/server.ts';

// A burst of status reports shares statements (server/db/batched-updates.ts): each report must
// still be decided and answered as if it had been alone, and a replica's stale view of a record
// must still be refused by the row's version, whichever statement carries the write.

type Client = ReturnType<typeof apiClient>;
type Event = { state: string; applied: boolean; description?: string | null };

const RANK: Record<string, number> = { pending: 0, queued: 1, in_progress: 2 };
const rank = (state: string) => RANK[state] ?? 3;

/** One queued record in each of `count` environments (a record per environment: all active). */
async function queuedRecords(api: Client, prefix: string, count: number): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      api.create(`${prefix}-${i}`, {
        repository: 'acme/shop',
        environment: `${prefix}-${i}`,
        sha: SHA,
        state: 'queued',
      }),
    ),
  );
  expect(created.map((answer) => answer.status)).toEqual(created.map(() => 201));
  return created.map((answer) => answer.body.id);
}

async function timelineOf(api: Client, id: string): Promise<Event[]> {
  const read = await api.get(id);
  expect(read.status).toBe(200);
  return read.body.events;
}

describe('a burst of status reports over many records', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[] = [];
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    servers = await Promise.all(
      [1, 2].map(() => startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS })),
    );
    [a, b] = servers.map((server) => apiClient(server.url, TOKEN)) as [Client, Client];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.drop();
  });

  it('six reports each on 50 records at once → every one 200, one event per report, state only forward', async () => {
    const ids = await queuedRecords(a, 'burst', 50);
    const reports = ['in_progress', 'in_progress', 'success', 'in_progress', 'queued', 'in_progress'];
    const answers = await Promise.all(
      ids.flatMap((id, i) =>
        reports.map((state, n) => {
          const body = { state, description: `report ${n}` };
          // Every third record's reports also come by key, as the Action sends them.
          const byKey = i % 3 === 0 && n % 2 === 1;
          const path = `/v1/deployments/by-key/acme/shop/burst-${i}/burst-${i}/status`;
          return (byKey ? a.call('POST', path, body) : a.status(id, body)).then((answer) => ({ id, answer }));
        }),
      ),
    );
    expect(
      answers.filter(({ answer }) => answer.status !== 200),
      errorLines(servers),
    ).toEqual([]);
    for (const id of ids) {
      const mine = answers.filter((answer) => answer.id === id).map(({ answer }) => answer.body);
      expect(mine.every((body) => body.id === id)).toBe(true);
      expect(mine.filter((body) => body.state === 'success' && body.applied)).toHaveLength(1);
      const events = await timelineOf(a, id);
      expect(events).toHaveLength(1 + reports.length);
      expect(events.filter((event) => event.applied).map((event) => event.state)).toEqual(
        events
          .filter((event) => event.applied)
          .map((event) => event.state)
          .sort((x, y) => rank(x) - rank(y)),
      );
      const stored = await a.get(id);
      expect(stored.body.state).toBe('success');
    }
    const counts = await query<{ events: string }>(
      db.url,
      `SELECT count(e.id) AS events FROM deployment d JOIN deployment_event e ON e.deployment_id = d.id
       WHERE d.environment LIKE 'burst-%' GROUP BY d.id`,
    );
    expect(counts.map((row) => Number(row.events))).toEqual(ids.map(() => 1 + reports.length));
  });

  it('a burst through a replica with a stale view → decided on the stored records', async () => {
    const ids = await queuedRecords(a, 'stale', 40);
    // The first replica sees every record in progress; the second fails them all since.
    const started = await Promise.all(ids.map((id) => a.status(id, { state: 'in_progress' })));
    expect(started.every((answer) => answer.body.state === 'in_progress')).toBe(true);
    const failed = await Promise.all(
      ids.map((id) => b.status(id, { state: 'failure', description: 'smoke tests failed' })),
    );
    expect(failed.every((answer) => answer.body.applied)).toBe(true);
    const late = await Promise.all(
      ids.map((id) => a.status(id, { state: 'in_progress', description: 'late' })),
    );
    for (const answer of late) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        state: 'failure',
        applied: false,
        description: 'smoke tests failed',
      });
    }
    for (const id of ids) {
      const events = await timelineOf(a, id);
      expect(events.map((event) => [event.state, event.applied])).toEqual([
        ['queued', true],
        ['in_progress', true],
        ['failure', true],
        ['in_progress', false],
      ]);
    }
  });

  it('a record moved to another repository in a burst → 403 for it alone, nothing written to it', async () => {
    const ids = await queuedRecords(a, 'moved', 30);
    await Promise.all(ids.map((id) => a.status(id, { state: 'in_progress' })));
    const moved = ids[7] as string;
    await query(db.url, `UPDATE deployment SET repository = 'acme/renamed' WHERE id = $1`, [moved]);
    const answers = await Promise.all(ids.map((id) => a.status(id, { state: 'success' })));
    for (const [i, answer] of answers.entries()) {
      if (ids[i] === moved) expect(answer.status).toBe(403);
      else expect(answer.body).toMatchObject({ state: 'success', applied: true });
    }
    const stored = await query<{ state: string; events: string }>(
      db.url,
      `SELECT d.state, count(e.id) AS events FROM deployment d JOIN deployment_event e ON e.deployment_id = d.id
       WHERE d.id = $1 GROUP BY d.id`,
      [moved],
    );
    expect(stored).toEqual([{ state: 'in_progress', events: '2' }]);
  });
});
