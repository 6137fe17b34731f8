import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRunner } from '../../server/db/deployment-sql.ts';
import { LedgerStore } from '../../server/db/ledger-store.ts';
import { analyzeGrownTables } from '../../server/db/planner-statistics.ts';
import { type LedgerDatabase, openLedgerDatabase } from '../helpers/ledger-db.ts';
import { aRequest } from '../helpers/records.ts';

// The hot statements are prepared once per connection (SqlRunner's `name`), and PostgreSQL keeps
// a prepared statement's generic plan until the table's statistics change. One made while the
// table was small (a new installation, analyzed at its first few dozen rows) scans it: once an
// environment holds years of history, the server's statistics keeper must have it planned again.

const HISTORY = 20_000;

/** Runs the store's statements on one connection, as a pooled connection does. */
function onClient(client: pg.Client): SqlRunner {
  return { query: async (text, params, name) => (await client.query({ text, values: params, name })).rows };
}

/** Past records of one environment, none active, written without ANALYZE. */
async function history(client: pg.Client, environment: string, count: number) {
  await client.query('BEGIN');
  await client.query("SELECT set_config('deployledger.dora_deferred', 'on', true)");
  await client.query(
    `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at)
     SELECT gen_random_uuid(), 'acme/shop', $1, gen_random_uuid()::text, md5(g::text), 'inactive',
            now() - (g || ' minutes')::interval, now()
     FROM generate_series(1, $2::int) g`,
    [environment, count],
  );
  await client.query('COMMIT');
}

describe('a prepared create on a table grown since it was planned', () => {
  let db: LedgerDatabase;
  let client: pg.Client;
  const plans: string[] = [];

  beforeAll(async () => {
    db = await openLedgerDatabase('postgresql');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
  });
  afterAll(async () => {
    await client?.end();
    await db?.close();
  });

  it('is planned again for the table’s size, and probes its indexes', async () => {
    for (const environment of ['staging', 'production']) await history(client, environment, 20);
    await client.query('ANALYZE deployment');
    expect(await analyzeGrownTables(onClient(client))).toEqual([]);
    // The plan every later execution would use once PostgreSQL settles on the generic one.
    await client.query('SET plan_cache_mode = force_generic_plan');
    const store = new LedgerStore(db.prisma, { sql: onClient(client) });
    const create = (environment: string, key: string) =>
      store.create({ ...aRequest({ environment, key }), supersede: false }, 'action', new Date());
    expect((await create('staging', 'planned-small')).kind).toBe('created');

    await history(client, 'production', HISTORY);
    // What the server's statistics keeper does every minute (server/jobs/statistics-keeper.ts):
    // without it, this plan scanned the table for the key and sorted the history (2 141 buffers).
    expect(await analyzeGrownTables(onClient(client))).toEqual(['deployment']);
    expect(await analyzeGrownTables(onClient(client))).toEqual([]);
    await client.query("LOAD 'auto_explain'");
    for (const setting of ['min_duration = 0', 'analyze = on', 'buffers = on', 'timing = off'])
      await client.query(`SET auto_explain.log_${setting}`);
    await client.query('SET client_min_messages = log');
    expect((await create('production', 'after-history')).kind).toBe('created');

    const open = plans.filter((plan) => plan.includes('Query Text: WITH present AS'));
    expect(open).toHaveLength(1);
    // The whole statement's buffers: an index probe per read is a few dozen, a read of the
    // environment's history hundreds.
    const buffers = (open[0] as string).match(/Buffers: shared hit=(\d+)(?: read=(\d+))?/);
    expect(Number(buffers?.[1] ?? 0) + Number(buffers?.[2] ?? 0), open[0]).toBeLessThan(100);
  });
});
