import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/connect.ts';
import { applyMigrations, readMigrations } from '../../server/db/migrate.ts';
import { apiClient } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { startServer } from '../helpers/server.ts';

// A database written before names compared case-insensitively holds records that differ only in
// case. The migration that puts the unique indexes on the folded names refuses to run over them
// and says to run `deployledger repair`; repair shows the plan, merges them through the core with
// --apply, then applies the migration; the server starts and `check` is clean.
const FOLD_MIGRATION = '20261201000000_name_keys';
const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const TOKEN = 'test-key-case-repair-0123456789';

describe('case-duplicates written before the migration (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    const old = await openDatabase({ databaseUrl: db.url, dataDir: '' });
    await applyMigrations(
      old,
      readMigrations().filter((migration) => migration.name < FOLD_MIGRATION),
    );
    await old.close();
    const seed = async (
      repository: string,
      environment: string,
      key: string,
      state: string,
      ageMinutes: number,
      sha = SHA,
    ) => {
      const id = randomUUID();
      const at = new Date(Date.now() - ageMinutes * 60_000);
      await query(
        db.url,
        `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at,
                                 started_at, deployed_at, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $8, $8)`,
        [id, repository, environment, key, sha, state, at, state === 'success' ? at : null],
      );
      await query(
        db.url,
        `INSERT INTO deployment_event (deployment_id, source, state, applied, reason, occurred_at)
         VALUES ($1, 'action', $2, true, 'created', $3)`,
        [id, state, at],
      );
      return id;
    };
    // One deployment seen as two records (a delivery for Acme/Shop, the Action for acme/shop).
    const survivor = await seed('Acme/Shop', 'production', '999-1', 'in_progress', 10);
    const duplicate = await seed('acme/shop', 'production', '999-1', 'success', 9);
    // Both sampled the same slot (the same sample, kept once); the duplicate also a later one.
    const sample = (id: string, at: string, value: number) =>
      query(
        db.url,
        `INSERT INTO metric_sample (deployment_id, phase, collected_at, name, value)
         VALUES ($1, 'pre', $2, 'errors', $3)`,
        [id, at, value],
      );
    await sample(survivor, '2026-12-01T10:00:00Z', 1);
    await sample(duplicate, '2026-12-01T10:00:00Z', 1);
    await sample(duplicate, '2026-12-01T10:05:00Z', 2);
    // Two deployments (two commits) both active on one environment spelled two ways.
    await seed('acme/shop', 'CASE', '1-1', 'in_progress', 8, 'a'.repeat(40));
    await seed('acme/shop', 'case', '2-1', 'in_progress', 7, 'b'.repeat(40));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('check reports the records that differ only in case (exit 1)', async () => {
    const result = await runCli(['check'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('| one record per (repository, environment, key) | 1 violation |');
    expect(result.stdout).toContain(
      '| at most one active deployment per (repository, environment) | 1 violation |',
    );
    expect(result.stdout).toContain('Acme/Shop production | acme/shop production 999-1');
  });

  it('the server refuses to start, saying to run deployledger repair, and changes nothing', async () => {
    await expect(startServer({ ...env, DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}` })).rejects.toThrow(
      /differ only in case.*deployledger repair/s,
    );
    const applied = await query(db.url, 'SELECT migration_name FROM "_prisma_migrations"');
    expect(applied.map((row) => row.migration_name)).not.toContain(
      '20261201000100_case_insensitive_identity',
    );
  });

  it('repair (dry run) shows the plan and changes no record', async () => {
    const result = await runCli(['repair'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/merge\s+│ Acme\/Shop/);
    expect(result.stdout).toContain('supersede');
    expect(result.stdout).toContain('Dry run: nothing was changed.');
    expect(await query(db.url, 'SELECT id FROM deployment')).toHaveLength(4);
  });

  it('repair --apply folds them through the core and applies the migration; then the server starts and check is clean', async () => {
    const result = await runCli(['repair', '--apply'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The case migration is applied here (with any later ones, e.g. 20261210000000_github_hook_recovery).
    expect(result.stdout).toMatch(/Migrations applied: 20261201000100_case_insensitive_identity[.,]/);
    const rows = await query<{ repository: string; environment: string; key: string; state: string }>(
      db.url,
      'SELECT repository, environment, key, state FROM deployment ORDER BY created_at',
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ key: '999-1', state: 'success' });
    expect(rows.filter((row) => row.state === 'in_progress')).toHaveLength(1);
    expect(rows[1]).toMatchObject({ key: '1-1', state: 'inactive' });
    // The survivor keeps the duplicate's timeline and its samples, the shared slot once.
    const samples = await query<{ collected_at: Date; value: number; one_record: boolean }>(
      db.url,
      `SELECT m.collected_at, m.value, d.key = '999-1' AS one_record FROM metric_sample m
       JOIN deployment d ON d.id = m.deployment_id ORDER BY m.collected_at`,
    );
    expect(samples.map((row) => [row.collected_at.toISOString(), row.value, row.one_record])).toEqual([
      ['2026-12-01T10:00:00.000Z', 1, true],
      ['2026-12-01T10:05:00.000Z', 2, true],
    ]);
    // The duplicate's events are kept as its history: not applied to the survivor, with what they were there.
    const created = await query<{ applied: boolean; reason: string; there: string | null }>(
      db.url,
      `SELECT e.applied, e.reason, e.detail->>'reason_there' AS there FROM deployment_event e
       JOIN deployment d ON d.id = e.deployment_id
       WHERE d.key = '999-1' AND 'created' IN (e.reason, e.detail->>'reason_there') ORDER BY e.id`,
    );
    expect(created).toEqual([
      { applied: true, reason: 'created', there: null },
      { applied: false, reason: 'merged_duplicate', there: 'created' },
    ]);

    const check = await runCli(['check'], env);
    expect(check.stdout).toContain('All invariants hold.');
    expect(check.code).toBe(0);

    const server = await startServer({ ...env, DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}` });
    try {
      const listed = await apiClient(server.url, TOKEN).list({
        repository: 'ACME/SHOP',
        environment: 'production',
      });
      expect(listed.body.deployments).toHaveLength(1);
      expect(listed.body.deployments[0]).toMatchObject({ key: '999-1', state: 'success' });
    } finally {
      await server.stop();
    }
  });
});
