import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, TOKEN } from '../api/api-suite.ts';
import { apiClient } from '../helpers/api.ts';
import { waitFor } from '../helpers/k8s-watch.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const sha = () => randomBytes(20).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Environments named "short-*" time out after 2 s; every other environment keeps the 30 min default.
const SWEEPER_ENV = {
  DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0.2',
  DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: Array.from({ length: 13 }, (_, i) => `short-${i}=2`).join(
    ',',
  ),
};

describe('the sweeper (two server processes on one PostgreSQL database)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[];
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS, ...SWEEPER_ENV };
    servers = [await startServer(env), await startServer(env)];
    api = apiClient(servers[0]!.url, TOKEN);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db.drop();
  });

  const create = async (key: string, environment: string, state = 'in_progress') => {
    const { status, body } = await api.create(key, {
      repository: 'acme/shop',
      environment,
      sha: sha(),
      state,
    });
    expect(status).toBe(201);
    return body as { id: string };
  };

  it('ends an old active record with error (timed_out) on its timeline, and leaves a fresh one alone', async () => {
    const old = await create('1-1', 'short-0');
    const fresh = await create('2-1', 'production');

    const ended = await waitFor('the old record to be swept', async () => {
      const { body } = await api.get(old.id);
      return body.state === 'error' && body;
    });
    const sweep = ended.events.filter((event: { source: string }) => event.source === 'sweeper');
    expect(sweep).toHaveLength(1);
    expect(sweep[0]).toMatchObject({ state: 'error', applied: true, reason: 'timed_out' });
    expect(ended.completed_at).not.toBeNull();

    const untouched = (await api.get(fresh.id)).body;
    expect(untouched.state).toBe('in_progress');
    expect(untouched.events.some((event: { source: string }) => event.source === 'sweeper')).toBe(false);
  });

  it("an environment's own deadline holds however the record spells its name", async () => {
    // The deadline is set for short-12; GitHub (or the Action) spells the environment Short-12.
    const spelled = await create('4-1', 'Short-12');
    const ended = await waitFor('the record to be swept at its environment’s deadline', async () => {
      const { body } = await api.get(spelled.id);
      return body.state === 'error' && body;
    });
    expect(ended.events.filter((event: { source: string }) => event.source === 'sweeper')).toHaveLength(1);
  });

  it('leaves alone a record a producer resolved before its deadline', async () => {
    const record = await create('3-1', 'short-1');
    expect((await api.status(record.id, { state: 'success' })).body.applied).toBe(true);
    await sleep(3_000);
    const { body } = await api.get(record.id);
    expect(body.state).toBe('success');
    expect(body.events.some((event: { source: string }) => event.source === 'sweeper')).toBe(false);
  });

  it('two sweepers at once end each stuck record exactly once', async () => {
    const records = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create(`${100 + i}-1`, `short-${i + 2}`, i % 2 ? 'pending' : 'in_progress'),
      ),
    );
    await waitFor('every record to be swept', async () => {
      const states = await Promise.all(records.map(async (record) => (await api.get(record.id)).body.state));
      return states.every((state) => state === 'error');
    });
    await sleep(1_000); // a second sweeper pass in both processes
    const rows = await query<{ deployment_id: string; n: string }>(
      db.url,
      `SELECT deployment_id, count(*) AS n FROM deployment_event WHERE source = 'sweeper' AND deployment_id = ANY($1::uuid[]) GROUP BY deployment_id`,
      [records.map((record) => record.id)],
    );
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => Number(row.n) === 1)).toBe(true);
    // Across both processes, 12 records were ended in this file (1 + 1 + 10): each once.
    const sweptBy = servers.map(
      (server) => server.logs.filter((line) => line.includes('stuck deployment timed out')).length,
    );
    expect(sweptBy[0]! + sweptBy[1]!).toBe(12);
  });
});
