import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

// More deployments in one environment than one transaction holds (10 000): the second must see
// what the first stored (auto-inactive of its last success, the active record it left).
const ROWS = 10_600;
const START = Date.now() - 30 * 86_400_000;
const sha = (i: number) => i.toString(16).padStart(8, '0').repeat(5);

function history(): string {
  const lines = ['repository,environment,sha,status,created_at,deployed_at'];
  for (let i = 0; i < ROWS; i++) {
    const at = new Date(START + i * 600_000);
    // One in 100 left running (superseded by the next), the last one running too.
    const status = i === ROWS - 1 || i % 100 === 42 ? 'running' : i % 10 === 7 ? 'failed' : 'success';
    const deployed = status === 'success' ? new Date(at.getTime() + 60_000).toISOString() : '';
    lines.push(`acme/big,production,${sha(i)},${status},${at.toISOString()},${deployed}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('deployledger import across batches (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let file: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    file = path.join(mkdtempSync(path.join(tmpdir(), 'deployledger-import-batches-')), 'big.csv');
    writeFileSync(file, history());
  });
  afterAll(async () => {
    await db.drop();
  });

  it('leaves one success and one active record, every older success retired by the core', async () => {
    const { code, stdout, stderr } = await runCli(['import', file], { DATABASE_URL: db.url });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`${ROWS} imported, 0 already in the ledger`);
    const states = await query<{ state: string; n: string }>(
      db.url,
      'SELECT state, count(*) AS n FROM deployment GROUP BY state ORDER BY state',
    );
    const count = (state: string) => Number(states.find((s) => s.state === state)?.n ?? 0);
    expect(count('success')).toBe(1);
    expect(count('in_progress')).toBe(1);
    expect(count('failure')).toBe(ROWS / 10);
    // The newest success is the one left; the active one is the newest row.
    const [newest] = await query<{ sha: string; state: string }>(
      db.url,
      "SELECT sha, state FROM deployment WHERE state IN ('success', 'in_progress') ORDER BY created_at DESC LIMIT 1",
    );
    expect(newest).toEqual({ sha: sha(ROWS - 1), state: 'in_progress' });
    // Each retired success has its auto-inactive event after its own, in timeline order.
    const orders = await query<{ reasons: string[] }>(
      db.url,
      `SELECT array_agg(coalesce(e.reason, '') ORDER BY e.id) AS reasons FROM deployment d
       JOIN deployment_event e ON e.deployment_id = d.id WHERE d.state = 'inactive' AND d.deployed_at IS NOT NULL
       GROUP BY d.id`,
    );
    expect(orders.length).toBeGreaterThan(2000);
    for (const { reasons } of orders) expect(reasons).toEqual(['imported', 'auto_inactive']);
  });

  it('a second import of the same file adds nothing', async () => {
    const before = await query(db.url, 'SELECT count(*) AS n FROM deployment_event');
    const { code, stdout } = await runCli(['import', file], { DATABASE_URL: db.url });
    expect(code).toBe(0);
    expect(stdout).toContain(`0 imported, ${ROWS} already in the ledger`);
    expect(await query(db.url, 'SELECT count(*) AS n FROM deployment_event')).toEqual(before);
  });
});
