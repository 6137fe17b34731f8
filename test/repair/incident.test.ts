import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

// The pathology of a real incident: 16 rows for one commit, pairs written twice with identical
// created_at, 11 stuck in "running", none with deployed_at. The database's one-active index
// forbids two running rows in one environment, so the commit is modelled as rolled out to 11
// regional environments: 5 of them have a pair (one row running, one written "success" without
// deployed_at by a second writer), 6 have a single row stuck running.
const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const PAIRED = ['eu-1', 'eu-2', 'eu-3', 'us-1', 'us-2'];
const SINGLE = ['eu-4', 'eu-5', 'us-3', 'us-4', 'ap-1', 'ap-2'];

interface Row {
  id: string;
  environment: string;
  state: string;
  created_at: Date;
  deployed_at: Date | null;
}

describe('deployledger repair on a seeded incident (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  const seededEvents: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const createdAt = new Date(Date.now() - 2 * 3600_000);
    let n = 0;
    const seed = async (environment: string, state: string) => {
      const id = randomUUID();
      n += 1;
      await query(
        db.url,
        `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at, started_at, completed_at)
         VALUES ($1, 'acme/shop', $2, $3, $4, $5, $6, $6, $7, NULL)`,
        [id, environment, `legacy-${n}`, SHA, state, createdAt, state === 'in_progress' ? createdAt : null],
      );
      for (const eventState of state === 'success' ? ['in_progress', 'success'] : ['in_progress']) {
        const [event] = await query<{ id: string }>(
          db.url,
          `INSERT INTO deployment_event (deployment_id, source, state, applied, reason, occurred_at)
           VALUES ($1, 'action', $2, true, 'created', $3) RETURNING id`,
          [id, eventState, createdAt],
        );
        seededEvents.push(event!.id);
      }
    };
    for (const environment of PAIRED) {
      await seed(environment, 'in_progress');
      await seed(environment, 'success');
    }
    for (const environment of SINGLE) await seed(environment, 'in_progress');
  });
  afterAll(async () => {
    await db.drop();
  });

  const rows = () =>
    query<Row>(
      db.url,
      'SELECT id, environment, state, created_at, deployed_at FROM deployment ORDER BY environment, id',
    );
  const snapshot = async () => ({
    deployments: await query(db.url, 'SELECT * FROM deployment ORDER BY id'),
    events: await query(db.url, 'SELECT * FROM deployment_event ORDER BY id'),
  });

  it('starts from the pathology: 16 rows, 11 running, none deployed', async () => {
    const seeded = await rows();
    expect(seeded).toHaveLength(16);
    expect(seeded.filter((row) => row.state === 'in_progress')).toHaveLength(11);
    expect(seeded.every((row) => row.deployed_at === null)).toBe(true);
  });

  it('a dry run prints the plan as a table and changes nothing', async () => {
    const before = await snapshot();
    const { code, stdout, stderr } = await runCli(['repair'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('5 duplicate group(s) (5 record(s) merged away), 6 stuck record(s) to end.');
    expect(stdout).toMatch(/merge .*acme\/shop .*eu-1/);
    expect(stdout).toMatch(/end stuck .*acme\/shop .*ap-1/);
    expect(stdout).toContain('Dry run: nothing was changed');
    expect(await snapshot()).toEqual(before);
  });

  it('--apply leaves one record per deployment, nothing stuck, every event kept', async () => {
    const { code, stdout } = await runCli(['repair', '--apply'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('Applied: 5 group(s) merged, 6 stuck record(s) ended.');

    const repaired = await rows();
    expect(repaired).toHaveLength(11);
    expect(new Set(repaired.map((row) => row.environment)).size).toBe(11);
    expect(repaired.filter((row) => ['pending', 'queued', 'in_progress'].includes(row.state))).toEqual([]);
    for (const row of repaired.filter((r) => PAIRED.includes(r.environment))) {
      expect(row.state).toBe('success');
      expect(row.deployed_at).not.toBeNull();
    }
    for (const row of repaired.filter((r) => SINGLE.includes(r.environment))) expect(row.state).toBe('error');

    const kept = await query<{ id: string; deployment_id: string }>(
      db.url,
      'SELECT e.id, e.deployment_id FROM deployment_event e JOIN deployment d ON d.id = e.deployment_id WHERE e.id = ANY($1::bigint[])',
      [seededEvents],
    );
    expect(kept).toHaveLength(seededEvents.length);
    // Each pair's events now sit on its one record, with the repair's own signals after them.
    for (const environment of PAIRED) {
      const events = await query<{ source: string; state: string }>(
        db.url,
        'SELECT e.source, e.state FROM deployment_event e JOIN deployment d ON d.id = e.deployment_id WHERE d.environment = $1 ORDER BY e.id',
        [environment],
      );
      expect(events.filter((e) => e.source === 'action')).toHaveLength(3);
      expect(events.some((e) => e.source === 'repair')).toBe(true);
    }
    const timedOut = await query(
      db.url,
      `SELECT 1 FROM deployment_event WHERE source = 'repair' AND state = 'error' AND reason = 'timed_out'`,
    );
    expect(timedOut).toHaveLength(6);
  });

  it('a second run changes nothing', async () => {
    const before = await snapshot();
    const { code, stdout } = await runCli(['repair', '--apply'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('Nothing to repair');
    expect(await snapshot()).toEqual(before);
  });
});
