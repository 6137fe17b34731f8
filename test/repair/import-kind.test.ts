import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

const [A, B, C] = ['a1', 'b2', 'c3'].map((pair) => pair.repeat(20)) as [string, string, string];
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const row = (sha: string, h: number) =>
  `acme/shop,production,${sha},success,${hoursAgo(h)},${hoursAgo(h - 0.1)}`;
const csv = (rows: string[]) =>
  `repository,environment,sha,status,created_at,deployed_at\n${rows.join('\n')}\n`;

// An imported history gets its kinds in order: from the records before each in the file, and from
// those an earlier import stored.
describe('deployledger import decides each record’s kind (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'deployledger-import-kind-'));
  });
  afterAll(async () => {
    await db.drop();
  });

  const kinds = async () =>
    (
      await query<{ sha: string; kind: string }>(
        db.url,
        'SELECT sha, kind FROM deployment ORDER BY created_at',
      )
    ).map((r) => [r.sha, r.kind]);

  async function importRows(name: string, rows: string[]) {
    writeFileSync(path.join(dir, name), csv(rows));
    const { code, stderr } = await runCli(['import', path.join(dir, name)], { DATABASE_URL: db.url });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }

  it('forward, forward, rollback, redeploy, forward within one file', async () => {
    await importRows('first.csv', [row(A, 50), row(B, 40), row(A, 30), row(A, 20), row(C, 10)]);
    expect(await kinds()).toEqual([
      [A, 'forward'],
      [B, 'forward'],
      [A, 'rollback'],
      [A, 'redeploy'],
      [C, 'forward'],
    ]);
  });

  it('a later file rolls back to a sha an earlier import stored', async () => {
    await importRows('second.csv', [row(B, 5)]);
    expect((await kinds()).at(-1)).toEqual([B, 'rollback']);
  });
});
