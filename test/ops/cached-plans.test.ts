import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { SqlRunner } from '../../server/db/deployment-sql.ts';
import { LedgerStore } from '../../server/db/ledger-store.ts';
import { analyzeGrownTables } from '../../server/db/planner-statistics.ts';
import { writePastRecords } from '../helpers/ledger-db.ts';
import { buffersOf, explainFromNow, planReader } from '../helpers/plans.ts';
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

describe('a prepared create on a table grown since it was planned', () => {
  const reader = planReader();

  it('is planned again for the table’s size, and probes its indexes', async () => {
    const { db, client, plans } = reader;
    for (const environment of ['staging', 'production']) await writePastRecords(client, environment, 20);
    await client.query('ANALYZE deployment');
    expect(await analyzeGrownTables(onClient(client))).toEqual([]);
    // The plan every later execution would use once PostgreSQL settles on the generic one.
    await client.query('SET plan_cache_mode = force_generic_plan');
    const store = new LedgerStore(db.prisma, { sql: onClient(client) });
    const create = (environment: string, key: string) =>
      store.create({ ...aRequest({ environment, key }), supersede: false }, 'action', new Date());
    expect((await create('staging', 'planned-small')).kind).toBe('created');

    await writePastRecords(client, 'production', HISTORY);
    // What the server's statistics keeper does every 5 s (server/jobs/statistics-keeper.ts):
    // without it, this plan scanned the table for the key and sorted the history (2 141 buffers).
    expect(await analyzeGrownTables(onClient(client))).toEqual(['deployment']);
    expect(await analyzeGrownTables(onClient(client))).toEqual([]);
    await explainFromNow(client);
    expect((await create('production', 'after-history')).kind).toBe('created');

    const open = plans.filter((plan) => plan.includes('Query Text: WITH present AS'));
    expect(open).toHaveLength(1);
    // The whole statement's buffers: an index probe per read is a few dozen, a read of the
    // environment's history hundreds.
    expect(buffersOf(open[0] as string), open[0]).toBeLessThan(100);
  });
});
