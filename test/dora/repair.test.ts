import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

const daysAgo = (days: number, minutes = 0) =>
  new Date(Date.now() - days * 86_400_000 + minutes * 60_000).toISOString();

describe('deployledger import and repair --dora keep the DORA rollups (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const rollups = () =>
    query<{ day: string; deployments: number; failures: number }>(
      db.url,
      `SELECT day::text, deployments, failures FROM dora_day
       WHERE repository_key = 'acme/shop' AND environment_key = 'production' AND deployments + failures > 0
       ORDER BY day`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'deployledger-dora-repair-'));
    const lines = ['repository,environment,sha,status,created_at,deployed_at'];
    for (let i = 0; i < 6; i++) {
      const status = i === 2 ? 'failed' : 'success';
      lines.push(
        `acme/shop,production,${String(i).repeat(40)},${status},${daysAgo(6 - i)},${status === 'success' ? daysAgo(6 - i, 5) : ''}`,
      );
    }
    writeFileSync(path.join(dir, 'history.csv'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports with the rollups of the imported days already computed', async () => {
    const { code, stderr } = await runCli(['import', path.join(dir, 'history.csv')], {
      DATABASE_URL: db.url,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const days = await rollups();
    expect(days.reduce((sum, d) => sum + d.deployments, 0)).toBe(5);
    expect(days.reduce((sum, d) => sum + d.failures, 0)).toBe(1);
    const marks = await query<{ n: string }>(
      db.url,
      'SELECT (SELECT count(*) FROM dora_dirty) + (SELECT count(*) FROM dora_dirty_since) AS n',
    );
    expect(marks[0]?.n).toBe('0');
  });

  it('recomputes a rollup made wrong by hand with repair --apply --dora, and not without --apply', async () => {
    const right = await rollups();
    await query(db.url, `UPDATE dora_day SET deployments = 99 WHERE repository_key = 'acme/shop'`);
    // A rollup row for a day with no deployment at all (ten days before the history begins).
    await query(
      db.url,
      `INSERT INTO dora_day (repository_key, environment_key, day, deployments, failures, lead_samples,
         lead_histogram, lead_exact, incidents, restored, restore_histogram, restore_exact, rework,
         rollbacks, after_failure, restored_by_rollback)
       VALUES ('acme/shop', 'production', $1::date, 99, 0, 0, '{}', true, 0, 0, '{}', true, 0, 0, 0, 0)`,
      [daysAgo(16).slice(0, 10)],
    );
    const dry = await runCli(['repair', '--dora'], { DATABASE_URL: db.url });
    expect(dry.stdout).toContain('Dry run: --apply --dora recomputes every DORA rollup');
    expect((await rollups()).every((d) => d.deployments === 99)).toBe(true);
    const { code, stdout } = await runCli(['repair', '--apply', '--dora'], { DATABASE_URL: db.url });
    expect(code).toBe(0);
    expect(stdout).toMatch(/DORA rollups recomputed: \d+ environment-day\(s\)\./);
    expect(await rollups()).toEqual(right);
  });
});
