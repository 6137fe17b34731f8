import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAMES_SQL } from '../../server/db/delivery-names.ts';
import { type LedgerDatabase, openLedgerDatabase } from '../helpers/ledger-db.ts';

// Every batch the delivery worker folds first checks GitHub's spelling of each (repository,
// environment) it names against that environment's and that repository's newest record. With
// years of history behind them, each check must stay a read of one row: it read every record of
// the repository (97 ms a batch of 50 environments at 6 228 records) until the indexes held id.

const HISTORY = 5_000;
const REPOSITORY_ID = 4242;

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe("the delivery fold's spelling check on a long history", () => {
  let db: LedgerDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await openLedgerDatabase('postgresql');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query("SELECT set_config('deployledger.dora_deferred', 'on', true)");
    await client.query(
      `INSERT INTO deployment (id, repository, environment, repository_id, key, sha, state, created_at, updated_at)
       SELECT gen_random_uuid(), 'acme/shop', 'env-' || (g % 5), $1, gen_random_uuid()::text, md5(g::text),
              'inactive', now() - (g || ' seconds')::interval, now()
       FROM generate_series(1, $2::int) g`,
      [REPOSITORY_ID, HISTORY],
    );
    await client.query('COMMIT');
  });
  afterAll(async () => {
    await client?.end();
    await db?.close();
  });

  for (const statistics of ['before', 'after'] as const) {
    it(`reads one record per environment and per repository, ${statistics} ANALYZE`, async () => {
      if (statistics === 'after') await client.query('ANALYZE deployment');
      const seen = Array.from({ length: 5 }, (_, i) => ({
        i,
        repository: 'acme/shop',
        environment: `env-${i}`,
        rk: 'acme/shop',
        ek: `env-${i}`,
        repository_id: REPOSITORY_ID,
      }));
      const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${STALE_NAMES_SQL}`, [
        JSON.stringify(seen),
      ]);
      const plan = nodes((rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]?.Plan as PlanNode);
      const reads = plan.filter(
        (node) => node['Node Type'].includes('Scan') && node['Node Type'] !== 'Function Scan',
      );
      expect(reads).toHaveLength(2);
      for (const read of reads) expect(read['Actual Rows'], JSON.stringify(read)).toBeLessThanOrEqual(1);
      // Nothing stale: the names in the batch are the records' own.
      const stale = await client.query(STALE_NAMES_SQL, [JSON.stringify(seen)]);
      expect(stale.rows).toEqual([]);
    });
  }
});
