import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';

// What `repair --apply` changes, and what it must leave: a stuck record GitHub shows as a deployment
// of ours is ended and GitHub told (as the sweeper tells it, or GitHub shows it in progress
// forever); two attempts of one workflow run are two deployments, never merged.
describe('deployledger repair --apply (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    expect((await runCli(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
  });
  afterAll(async () => {
    await db.drop();
  });

  /** A record of acme/shop written `minutesAgo`, as a producer left it. */
  async function seed(
    environment: string,
    record: { key: string; state: string; minutesAgo: number; runId?: number; runAttempt?: number },
  ): Promise<string> {
    const id = randomUUID();
    const at = new Date(Date.now() - record.minutesAgo * 60_000);
    const ended = record.state === 'in_progress' ? null : at;
    await query(
      db.url,
      `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at, started_at,
                               completed_at, deployed_at, run_id, run_attempt, github_deployment_id)
       VALUES ($1, 'acme/shop', $2, $3, $4, $5, $6, $6, $6, $7, $8, $9, $10, 7001)`,
      [
        id,
        environment,
        record.key,
        'c0ffee12'.repeat(5),
        record.state,
        at,
        ended,
        record.state === 'success' ? at : null,
        record.runId ?? null,
        record.runAttempt ?? null,
      ],
    );
    return id;
  }
  /** An in-progress record two hours old, with a GitHub deployment. */
  const stuck = (environment: string) =>
    seed(environment, { key: `stuck-${environment}`, state: 'in_progress', minutesAgo: 120 });
  const statusJobs = (id: string) =>
    query<{ kind: string; dedupe_key: string }>(
      db.url,
      'SELECT kind, dedupe_key FROM outbox_job WHERE deployment_id = $1 ORDER BY id',
      [id],
    );

  it('with GitHub configured, the error it decides is queued for GitHub like any other decision', async () => {
    const id = await stuck('production');
    const env = { DATABASE_URL: db.url, GITHUB_TOKEN: 'ghs_repair_token' };
    const { code, stdout } = await runCli(['repair', '--apply'], env);
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('1 stuck record(s) ended');
    expect(await statusJobs(id)).toEqual([
      { kind: 'github.create_status', dedupe_key: `status:${id}:error` },
    ]);
  });

  it('without GitHub configured, nothing is queued for it (as the server queues nothing)', async () => {
    const id = await stuck('staging');
    const { code } = await runCli(['repair', '--apply'], { DATABASE_URL: db.url });
    expect(code).toBe(0);
    expect((await query(db.url, 'SELECT state FROM deployment WHERE id = $1', [id]))[0]).toEqual({
      state: 'error',
    });
    expect(await statusJobs(id)).toEqual([]);
  });

  it('two attempts of one workflow run, two minutes apart on one sha, stay two records', async () => {
    const first = await seed('retried', {
      key: '42-1',
      state: 'failure',
      minutesAgo: 10,
      runId: 42,
      runAttempt: 1,
    });
    const second = await seed('retried', {
      key: '42-2',
      state: 'success',
      minutesAgo: 8,
      runId: 42,
      runAttempt: 2,
    });
    const { code, stdout } = await runCli(['repair', '--apply'], { DATABASE_URL: db.url });
    expect(code, stdout).toBe(0);
    const kept = await query<{ id: string; state: string }>(
      db.url,
      `SELECT id, state FROM deployment WHERE environment = 'retried' ORDER BY created_at`,
    );
    expect(kept).toEqual([
      { id: first, state: 'failure' },
      { id: second, state: 'success' },
    ]);
  });

  it('duplicates that ended differently merge into a record its timeline agrees with (check is clean)', async () => {
    // One deployment written twice two minutes apart: one writer saw success, the other failure.
    const survivor = await seed('split', { key: 'split-a', state: 'success', minutesAgo: 10 });
    const duplicate = await seed('split', { key: 'split-b', state: 'failure', minutesAgo: 8 });
    for (const [id, state, minutesAgo] of [
      [survivor, 'success', 10],
      [duplicate, 'failure', 8],
    ] as const)
      await query(
        db.url,
        `INSERT INTO deployment_event (deployment_id, source, state, applied, occurred_at)
         VALUES ($1, 'action', $2, true, now() - make_interval(mins => $3))`,
        [id, state, minutesAgo],
      );
    const repaired = await runCli(['repair', '--apply'], { DATABASE_URL: db.url });
    expect(repaired.code, repaired.stdout).toBe(0);
    const kept = await query<{ id: string; state: string }>(
      db.url,
      "SELECT id, state FROM deployment WHERE environment = 'split'",
    );
    expect(kept).toEqual([{ id: survivor, state: 'success' }]);
    const moved = await query<{ applied: boolean; reason: string; detail: Record<string, unknown> }>(
      db.url,
      "SELECT applied, reason, detail FROM deployment_event WHERE deployment_id = $1 AND source = 'action' AND state = 'failure'",
      [survivor],
    );
    expect(moved).toEqual([
      {
        applied: false,
        reason: 'merged_duplicate',
        detail: { merged_from: duplicate, applied_there: true, reason_there: null },
      },
    ]);
    const check = await runCli(['check'], { DATABASE_URL: db.url });
    expect(check.stdout).not.toContain(
      `| state equals the fold of the record's applied timeline | ${survivor}`,
    );
  });
});
