import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

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
});
