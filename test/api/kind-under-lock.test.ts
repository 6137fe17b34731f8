import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMany } from '../../server/db/batched-opens.ts';
import type { SqlRunner } from '../../server/db/deployment-sql.ts';
import { timelineEntry } from '../../server/db/timeline.ts';
import { type KindFacts, openingSignal, openRecord } from '../../server/ledger/index.ts';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { aRequest } from '../helpers/records.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A create decides its record's kind on the environment's history (ledger/kind.ts). A success
// that lands while the create waits for the environment's lock must count: the create reads the
// history under that lock, not before it.
describe('a create’s kind, with a success landing while it waits for the environment', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  /** A writer holding `environment`'s lock that has ended `id` in `state`, not yet committed. */
  async function endUnderLock(environment: string, id: string, state = 'success'): Promise<pg.Client> {
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    await writer.query('BEGIN');
    await writer.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `acme/shop\n${environment}`,
    ]);
    const deployedAt = state === 'success' ? 'now()' : 'NULL';
    await writer.query(
      `UPDATE deployment SET state = $2, deployed_at = ${deployedAt}, completed_at = now() WHERE id = $1`,
      [id, state],
    );
    return writer;
  }

  /** Until `statements` statements wait for an environment's lock. */
  async function untilWaiting(writer: pg.Client, statements = 1): Promise<void> {
    for (let waiting = 0; waiting < statements; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await writer.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      waiting = rows[0].n;
    }
  }

  it('is redeploy when the same sha reached success while the create waited', async () => {
    const api = apiClient(server.url, TOKEN);
    const body = { repository: 'acme/shop', environment: 'production', sha: SHA };
    const first = await api.create('1-1', body);
    expect(first.status).toBe(201);
    expect(first.body.kind).toBe('forward');

    // Another writer holds the environment's lock and turns the first record into a success.
    const writer = await endUnderLock('production', first.body.id);
    try {
      const second = api.create('2-1', body);
      await untilWaiting(writer); // the create's statement has begun and waits for the lock
      await writer.query('COMMIT');
      const created = await second;
      expect(created.status).toBe(201);
      expect(created.body.kind).toBe('redeploy');
    } finally {
      await writer.end();
    }
  });

  // Not the kind, but the same wait: what a create answers when its write did not happen must be
  // read after the lock, not in the snapshot its statement took before waiting.
  it('a request and its retry, both waiting behind a writer that ends the active record: 201 and a replay', async () => {
    const api = apiClient(server.url, TOKEN);
    const body = { repository: 'acme/shop', environment: 'retried', sha: SHA, state: 'in_progress' };
    const active = await api.create('6-1', body);
    expect(active.status).toBe(201);

    const writer = await endUnderLock('retried', active.body.id, 'failure');
    try {
      const sent = [api.create('7-1', body), api.create('7-1', body)];
      await untilWaiting(writer, 2); // both statements have begun, both wait for the lock
      await writer.query('COMMIT');
      const answers = await Promise.all(sent);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
      const replay = answers.find((answer) => answer.status === 200);
      expect(replay?.headers.get('idempotent-replayed')).toBe('true');
      expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    } finally {
      await writer.end();
    }
  });

  it('a batch of creates reads each environment’s facts under its lock, as one create does', async () => {
    const api = apiClient(server.url, TOKEN);
    const first = await api.create('3-1', { repository: 'acme/shop', environment: 'batch-prod', sha: SHA });
    expect(first.status).toBe(201);
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const sql: SqlRunner = { query: async (text, values) => (await pool.query(text, values)).rows };
    const writer = await endUnderLock('batch-prod', first.body.id);
    try {
      // Two creates in one statement (server/db/open-batcher.ts sends those that wait together),
      // both decided on no history: the one whose environment got a success meanwhile is refused
      // with the facts read under the lock, the other is written.
      const outcomes = openMany(sql, [openItem('batch-prod', '4-1'), openItem('batch-staging', '5-1')]);
      await untilWaiting(writer);
      await writer.query('COMMIT');
      const [prod, staging] = await outcomes;
      expect(prod).toMatchObject({ written: false, facts: { currentSha: SHA, deployedBefore: true } });
      expect(staging).toMatchObject({ written: true, facts: NO_HISTORY });
    } finally {
      await writer.end();
      await pool.end();
    }
  });
});

const NO_HISTORY: KindFacts = { currentSha: null, deployedBefore: false };

/** An opening decided by the core on no history, as the fast path sends it to openMany. */
function openItem(environment: string, key: string) {
  const at = new Date();
  const request = aRequest({ environment, key });
  const decision = openRecord(request, NO_HISTORY, randomUUID(), 'action', at, at);
  const event = timelineEntry(openingSignal(request, 'action', at), decision, at);
  return { record: decision.record, assumed: NO_HISTORY, event, jobs: [] };
}
