import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { startServer } from '../helpers/server.ts';

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

// A legacy history table: the same deployment written twice (identical created_at), 11 rows of
// one environment left "running", and a JSON-lines copy of the same history.
function legacyCsv(): string {
  const lines = ['repository,environment,sha,status,created_at,deployed_at'];
  lines.push(`acme/shop,production,${A},running,${hoursAgo(20)},`);
  lines.push(`acme/shop,production,${A},success,${hoursAgo(20)},${hoursAgo(19.9)}`);
  for (let i = 0; i < 11; i++) {
    const sha = i.toString(16).padStart(2, '0').repeat(20);
    lines.push(`acme/shop,staging,${sha},running,${hoursAgo(10 - i / 2)},`);
  }
  lines.push(`acme/shop,staging,${B},failed,${hoursAgo(1)},`);
  lines.push(`acme/shop,staging,${B},failed,${hoursAgo(1)},`);
  return `${lines.join('\n')}\n`;
}

describe('deployledger import (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
    dir = mkdtempSync(path.join(tmpdir(), 'deployledger-import-'));
    writeFileSync(path.join(dir, 'history.csv'), legacyCsv());
  });
  afterAll(async () => {
    await db.drop();
  });

  const records = () =>
    query<{ environment: string; sha: string; state: string; deployed_at: Date | null }>(
      db.url,
      'SELECT environment, sha, state, deployed_at FROM deployment ORDER BY created_at',
    );

  it('imports one record per deployment, never two active in one environment', async () => {
    const { code, stdout, stderr } = await runCli(['import', path.join(dir, 'history.csv')], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // A database never migrated is migrated first, and the command says so.
    expect(stdout).toMatch(/^Migrations applied: 20261127000000_init, /m);
    expect(stdout).toContain(
      'Read 15 row(s): 13 deployment(s) after removing duplicates; 13 imported, 0 already in the ledger.',
    );
    const imported = await records();
    expect(imported).toHaveLength(13);
    const production = imported.filter((r) => r.environment === 'production');
    expect(production).toEqual([expect.objectContaining({ sha: A, state: 'success' })]);
    expect(production[0]!.deployed_at).not.toBeNull();
    const staging = imported.filter((r) => r.environment === 'staging');
    // Each running row is superseded by the next; the last one is left active (stuck), the failed one is over.
    expect(staging.filter((r) => r.state === 'inactive')).toHaveLength(10);
    expect(staging.filter((r) => r.state === 'in_progress')).toHaveLength(1);
    expect(staging.at(-1)).toMatchObject({ sha: B, state: 'failure' });
  });

  it('repair then ends the one record the history left running', async () => {
    const { code, stdout } = await runCli(['repair', '--apply'], env);
    expect(code).toBe(0);
    expect(stdout).toContain('Applied: 0 group(s) merged, 1 stuck record(s) ended.');
    expect((await records()).filter((r) => ['pending', 'queued', 'in_progress'].includes(r.state))).toEqual(
      [],
    );
  });

  it('importing the same file again adds nothing', async () => {
    const before = await query(db.url, 'SELECT * FROM deployment ORDER BY id');
    const { code, stdout } = await runCli(['import', path.join(dir, 'history.csv')], env);
    expect(code).toBe(0);
    expect(stdout).toContain('0 imported, 13 already in the ledger');
    expect(await query(db.url, 'SELECT * FROM deployment ORDER BY id')).toEqual(before);
  });

  it('a window that is no number of seconds is a usage error (exit 2), named, before anything is read', async () => {
    for (const args of [
      ['import', path.join(dir, 'history.csv'), '--window-seconds', 'five'],
      ['repair', '--window-seconds', ''],
      ['repair', '--stuck-after-seconds', '-1'],
    ]) {
      const { code, stderr } = await runCli(args, env);
      expect(code).toBe(2);
      expect(stderr).toContain(
        `'${args.at(-2)} <seconds>' argument '${args.at(-1)}' is invalid. must be a number of seconds`,
      );
    }
  });

  it('reads JSON lines too, and names every bad row without importing any', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({
          repository: 'acme/shop',
          environment: 'qa',
          sha: A,
          status: 'success',
          created_at: hoursAgo(3),
        }),
        JSON.stringify({
          repository: 'acme/shop',
          environment: 'qa',
          sha: 'xyz',
          status: 'done?',
          created_at: 'yesterday',
        }),
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['import', file], env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/line 2: .*sha must be a commit sha/);
    expect(stderr).toContain('"done?" is not a deployment status');
    expect((await records()).filter((r) => r.environment === 'qa')).toEqual([]);

    writeFileSync(
      file,
      JSON.stringify({
        repository: 'acme/shop',
        environment: 'qa',
        sha: A,
        status: 'success',
        created_at: hoursAgo(3),
      }),
    );
    expect((await runCli(['import', file], env)).code).toBe(0);
    expect((await records()).filter((r) => r.environment === 'qa')).toEqual([
      expect.objectContaining({ state: 'success' }),
    ]);
  });

  it('a value the database cannot store is a bad row, named with its line, before anything is written', async () => {
    // Good rows first, in environments imported before the bad rows' own: a statement refusing a
    // value would end the import with those written.
    const file = path.join(dir, 'unstorable.csv');
    const rows = ['repository,environment,sha,status,created_at,run_id,run_attempt,environment_url'];
    for (const environment of ['aa-1', 'aa-2', 'aa-3'])
      rows.push(`acme/shop,${environment},${A},success,${hoursAgo(5)},,,`);
    rows.push(`acme/shop,zz-nul\u0000,${A},success,${hoursAgo(4)},,,`);
    rows.push(`acme/shop,zz-attempt,${A},success,${hoursAgo(4)},7,3000000000,`);
    rows.push(`acme/shop,zz-year,${A},success,0000-06-01T00:00:00Z,,,`);
    rows.push(`acme/shop,zz-url,${A},success,${hoursAgo(4)},,,https://example.com/a\u0000b`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const { code, stderr } = await runCli(['import', file], env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/line 5: environment contains a NUL byte/);
    expect(stderr).toMatch(/line 6: run_attempt/);
    expect(stderr).toMatch(/line 7: created_at must be a time between 1970 and 9999/);
    expect(stderr).toMatch(/line 8: environment_url contains a NUL byte/);
    expect((await records()).filter((r) => /^(aa|zz)-/.test(r.environment))).toEqual([]);
  });

  it('reads a time without an offset as UTC on any machine, and refuses a number rather than guess its unit', async () => {
    const file = path.join(dir, 'zoneless.csv');
    writeFileSync(
      file,
      [
        'repository,environment,sha,status,created_at,deployed_at',
        `acme/shop,tz-1,${A},success,2024-01-31 10:00:00,2024-01-31 10:05:30.250`,
        `acme/shop,tz-2,${A},success,2024-02-01,2024-02-01T00:10+01:00`,
      ].join('\n'),
    );
    // The importing machine is in New York: the file's times are still UTC.
    const imported = await runCli(['import', file], { ...env, TZ: 'America/New_York' });
    expect(imported.code, imported.stderr).toBe(0);
    const rows = await query<{ environment: string; created_at: Date; deployed_at: Date }>(
      db.url,
      "SELECT environment, created_at, deployed_at FROM deployment WHERE environment LIKE 'tz-%' ORDER BY environment",
    );
    expect(rows.map((r) => [r.environment, r.created_at.toISOString(), r.deployed_at.toISOString()])).toEqual(
      [
        ['tz-1', '2024-01-31T10:00:00.000Z', '2024-01-31T10:05:30.250Z'],
        ['tz-2', '2024-02-01T00:00:00.000Z', '2024-01-31T23:10:00.000Z'],
      ],
    );

    const numbers = path.join(dir, 'numbers.jsonl');
    const row = { repository: 'acme/shop', environment: 'tz-3', sha: A, status: 'success' };
    writeFileSync(
      numbers,
      [
        JSON.stringify({ ...row, created_at: 1_706_695_200 }),
        JSON.stringify({ ...row, created_at: '1706695200' }),
      ].join('\n'),
    );
    const refused = await runCli(['import', numbers], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/line 1: created_at must be a time, e\.g\. 2024-01-31T10:00:00Z/);
    expect(refused.stderr).toMatch(/line 2: created_at must be a time/);
    expect((await records()).filter((r) => r.environment === 'tz-3')).toEqual([]);
  });

  it('a history that overlaps what the server recorded adds nothing for a run the Action recorded', async () => {
    const token = 'test-key-import-overlap-0123456789';
    const server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: `acme/shop=${token}` });
    try {
      const recorded = await apiClient(server.url, token).create('7001-1', {
        repository: 'acme/shop',
        environment: 'overlap',
        sha: A,
        state: 'success',
      });
      expect(recorded.status).toBe(201);
    } finally {
      await server.stop();
    }
    const file = path.join(dir, 'overlap.csv');
    writeFileSync(
      file,
      [
        'repository,environment,sha,status,created_at,deployed_at,run_id,run_attempt',
        `acme/shop,Overlap,${B},success,${hoursAgo(30)},${hoursAgo(29.9)},7000,1`,
        `acme/shop,Overlap,${A},success,${hoursAgo(0.1)},${hoursAgo(0.05)},7001,1`,
      ].join('\n'),
    );
    const first = await runCli(['import', file], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('1 imported, 1 already in the ledger');
    const keys = await query<{ key: string; run_id: string }>(
      db.url,
      "SELECT key, run_id::text FROM deployment WHERE environment_key = 'overlap' ORDER BY key",
    );
    expect(keys).toEqual([
      { key: '7000-1', run_id: '7000' },
      { key: '7001-1', run_id: '7001' },
    ]);
    expect((await runCli(['import', file], env)).stdout).toContain('0 imported, 2 already in the ledger');
  });
});
