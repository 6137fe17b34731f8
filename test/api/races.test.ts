import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { errorLines, type RunningServer, startServer } from '../helpers/server.ts';
import { API_KEYS, TOKEN } from './api-suite.ts';

// Real concurrent requests against the real server on real PostgreSQL: the guarantees must
// come out right however the requests interleave.
describe('concurrent requests on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[];
  let api: ReturnType<typeof apiClient>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two replicas on one database: the guarantees may not rely on one process's memory.
    const first = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
    const second = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
    servers = [first, second];
    api = servers.map((server) => apiClient(server.url, TOKEN));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db.drop();
  });

  /** `count` creates at once, keys `<firstRun + i>-1`, spread over both replicas. */
  const createConcurrently = (count: number, firstRun: number, fields: Record<string, unknown>) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        api[i % 2]!.create(`${firstRun + i}-1`, {
          repository: 'acme/shop',
          sha: SHA,
          state: 'in_progress',
          ...fields,
        }),
      ),
    );

  const rowsOf = (environment: string) =>
    query<{ id: string; state: string }>(db.url, 'SELECT id, state FROM deployment WHERE environment = $1', [
      environment,
    ]);

  it('500 identical POSTs with one key → one row, one 201, every answer the same id', async () => {
    const body = { repository: 'acme/shop', environment: 'race-same-key', sha: SHA, state: 'in_progress' };
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) => api[i % 2]!.create('"777-1"', body)),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(499);
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(
      answers.filter((a) => a.status === 200).every((a) => a.headers.get('idempotent-replayed') === 'true'),
    ).toBe(true);
    const rows = await rowsOf('race-same-key');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe([...ids][0]);
  });

  it('200 different keys for one environment → exactly one active, the others 409 naming it', async () => {
    const environment = 'race-different-keys';
    const answers = await createConcurrently(200, 1000, { environment });
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(199);
    const winner = created[0]!.body.id;
    expect(refused.every((a) => a.body.active_deployment.id === winner)).toBe(true);
    const rows = await rowsOf(environment);
    expect(rows).toEqual([{ id: winner, state: 'in_progress' }]);
  });

  it('200 different keys with supersede: true → every one created, exactly one still active', async () => {
    const environment = 'race-supersede';
    const answers = await createConcurrently(200, 5000, { environment, supersede: true });
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const rows = await rowsOf(environment);
    expect(rows).toHaveLength(200);
    expect(rows.filter((row) => row.state === 'in_progress')).toHaveLength(1);
    expect(rows.filter((row) => row.state === 'inactive')).toHaveLength(199);
    const superseded = await query<{ count: string }>(
      db.url,
      `SELECT count(*) FROM deployment_event e JOIN deployment d ON d.id = e.deployment_id
       WHERE d.environment = $1 AND e.reason = 'superseded' AND e.applied`,
      [environment],
    );
    expect(Number(superseded[0]!.count)).toBe(199);
  });

  it('concurrent statuses for one record: state never moves backwards, one terminal wins', async () => {
    const { body: record } = await api[0]!.create('9000-1', {
      repository: 'acme/shop',
      environment: 'race-status',
      sha: SHA,
    });
    const states = ['queued', 'in_progress', 'success', 'failure', 'in_progress', 'queued'];
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        api[i % 2]!.status(record.id, { state: states[i % states.length] }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const final = (await api[0]!.get(record.id)).body;
    expect(['success', 'failure']).toContain(final.state);
    const appliedTerminal = final.events.filter(
      (e: { applied: boolean; state: string }) => e.applied && ['success', 'failure'].includes(e.state),
    );
    expect(appliedTerminal).toHaveLength(1);
    // Read in commit order, the applied states only ever move forward.
    const rank = (s: string) => ['pending', 'queued', 'in_progress'].indexOf(s) + 1 || 4;
    const applied = final.events
      .filter((e: { applied: boolean }) => e.applied)
      .map((e: { state: string }) => rank(e.state));
    expect(applied).toEqual([...applied].sort((a, b) => a - b));
  });

  it('200 concurrent creates of one key as Acme/Shop and acme/shop → one record, one 201', async () => {
    const environment = 'race-spelling';
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api[i % 2]!.create('"888-1"', {
          repository: i % 4 < 2 ? 'Acme/Shop' : 'acme/shop',
          environment: i % 3 === 0 ? 'RACE-Spelling' : environment,
          sha: SHA,
          state: 'in_progress',
        }),
      ),
    );
    // Anything but a replay or the one create is a defect: show it whole when it happens.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 201)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(199);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const rows = await query(db.url, 'SELECT id FROM deployment WHERE environment_key = $1', [environment]);
    expect(rows).toHaveLength(1);
  });

  it('100 different keys racing for one environment under two spellings → exactly one active', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api[i % 2]!.create(`${9000 + i}-1`, {
          repository: i % 2 === 0 ? 'Acme/Shop' : 'acme/shop',
          environment: i % 3 === 0 ? 'Race-Two-Spellings' : 'race-two-spellings',
          sha: SHA,
          state: 'in_progress',
        }),
      ),
    );
    expect(
      answers.filter((a) => a.status !== 201 && a.status !== 409),
      errorLines(servers),
    ).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(99);
    const active = await query(
      db.url,
      `SELECT id FROM deployment WHERE environment_key = 'race-two-spellings' AND state = 'in_progress'`,
    );
    expect(active).toHaveLength(1);
  });

  it('the database itself refuses a second active row and a duplicate key', async () => {
    const { body: record } = await api[0]!.create('9100-1', {
      repository: 'acme/shop',
      environment: 'race-constraint',
      sha: SHA,
      state: 'in_progress',
    });
    /** A row written past the server, straight into the table, under this spelling of the names. */
    const insertAs = (repository: string, environment: string) => (key: string, state: string) =>
      query(
        db.url,
        `INSERT INTO deployment (id, repository, environment, key, sha, state)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)`,
        [repository, environment, key, SHA, state],
      );
    const insert = insertAs('acme/shop', 'race-constraint');
    await expect(insert('9101-1', 'queued')).rejects.toThrow(/deployment_one_active_per_environment/);
    await expect(insert(record.key, 'success')).rejects.toThrow(/deployment_repository_environment_key_key/);
    await expect(insert('9102-1', 'success')).resolves.toBeDefined();
    // The constraints are on the folded names: another spelling is the same environment.
    const insertSpelled = insertAs('ACME/Shop', 'Race-Constraint');
    await expect(insertSpelled('9103-1', 'queued')).rejects.toThrow(/deployment_one_active_per_environment/);
    await expect(insertSpelled(record.key, 'success')).rejects.toThrow(
      /deployment_repository_environment_key_key/,
    );
  });
});
