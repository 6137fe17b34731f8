import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { ROOT, startServer } from '../helpers/server.ts';

const execFileAsync = promisify(execFile);
const TOKEN = 'test-key-check-0123456789';

/** Runs `deployledger check` as an operator does; resolves with its exit code and output. */
async function check(env: Record<string, string | undefined>, args: string[] = []) {
  try {
    const { stdout } = await execFileAsync(process.execPath, ['bin/deployledger.js', 'check', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined, ...env },
    });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function seedHealthyHistory(url: string) {
  const api = apiClient(url, TOKEN);
  const first = await api.create('1-1', {
    repository: 'acme/checked',
    environment: 'prod',
    sha: SHA,
    state: 'running',
  });
  await api.status(first.body.id, { state: 'success' });
  const second = await api.create('2-1', { repository: 'acme/checked', environment: 'prod', sha: SHA });
  await api.status(second.body.id, { state: 'failure' });
  return { first: first.body.id as string, second: second.body.id as string };
}

describe('deployledger check', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ids: { first: string; second: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    const server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/checked=${TOKEN}`,
    });
    ids = await seedHealthyHistory(server.url);
    await server.stop();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reports a healthy PostgreSQL ledger as clean (exit 0)', async () => {
    const result = await check({ DATABASE_URL: db.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| at most one active deployment per (repository, environment) | ok |');
    expect(result.stdout).toContain('All invariants hold.');
  });

  it('finds what a broken database hides, and exits 1', async () => {
    // What a second writer outside the ledger would leave behind.
    await query(db.url, `UPDATE deployment SET deployed_at = NULL WHERE id = $1`, [ids.first]);
    await query(db.url, `UPDATE deployment SET state = 'success', deployed_at = now() WHERE id = $1`, [
      ids.second,
    ]);
    await query(
      db.url,
      `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at)
       VALUES (gen_random_uuid(), 'acme/checked', 'staging', 'stuck-1', $1, 'in_progress', now() - interval '3 hours')`,
      [SHA],
    );
    const result = await check({ DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('| deployed_at on every success | 1 violation |');
    expect(result.stdout).toContain(
      "| state equals the fold of the record's applied timeline | 2 violations |",
    );
    expect(result.stdout).toContain('| nothing active past its deadline | 1 violation |');
    expect(result.stdout).toContain(`| ${ids.second} | state success, timeline says failure |`);
    expect(result.stdout).toContain('4 violation(s) found.');
  });

  it("judges deadlines as the sweeper does: each environment's own, plus one sweep; --deadline-minutes for all", async () => {
    // Active for 45 minutes in Production, whose deadline is an hour.
    const [running] = await query<{ id: string }>(
      db.url,
      `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at)
       VALUES (gen_random_uuid(), 'acme/checked', 'Production', 'long-1', $1, 'in_progress', now() - interval '45 minutes')
       RETURNING id::text`,
      [SHA],
    );
    const id = running?.id as string;
    const configured = await check({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: 'production=3600',
    });
    expect(configured.stdout).not.toContain(`| nothing active past its deadline | ${id}`);
    const defaults = await check({ DATABASE_URL: db.url });
    expect(defaults.stdout).toContain(`| nothing active past its deadline | ${id} | in_progress since`);
    const generous = await check({ DATABASE_URL: db.url }, ['--deadline-minutes', '240']);
    expect(generous.stdout).not.toContain(`| nothing active past its deadline | ${id}`);
    const strict = await check(
      { DATABASE_URL: db.url, DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: 'production=3600' },
      ['--deadline-minutes', '20'],
    );
    expect(strict.stdout).toContain(`| nothing active past its deadline | ${id} | in_progress since`);
    // A bad value is a usage mistake (exit 2), not a broken invariant (exit 1).
    const bad = await check({ DATABASE_URL: db.url }, ['--deadline-minutes', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--deadline-minutes <minutes>' argument 'abc' is invalid");
    await query(db.url, 'DELETE FROM deployment WHERE id = $1', [id]);
  });

  it('checks the embedded database too', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'deployledger-check-'));
    const server = await startServer({
      DEPLOYLEDGER_DATA_DIR: dataDir,
      DEPLOYLEDGER_API_KEYS: `acme/checked=${TOKEN}`,
    });
    await seedHealthyHistory(server.url);
    await server.stop();
    const result = await check({ DEPLOYLEDGER_DATA_DIR: dataDir });
    expect(result.stdout).toContain('All invariants hold.');
    expect(result.code).toBe(0);
  });
});
