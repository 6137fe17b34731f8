import { describe, expect, it } from 'vitest';
import { BATCH_READ_SQL } from '../../server/db/batch-writer.ts';
import { writePastRecords } from '../helpers/ledger-db.ts';
import { buffersOf, planReader } from '../helpers/plans.ts';

// A batch of deliveries (and of other producers' signals) reads its records once, under its
// environments' locks (server/db/batch-writer.ts). The records asked for by key were read as every
// environment's keys against every environment, a join the planner answered with a scan of the
// whole table (20–45 ms a batch of 50 environments at 40 000 records); each key now comes with its
// environment, one probe of the key index.

const HISTORY = 20_000;

describe("a batch's read of its records by key", () => {
  const reader = planReader();

  it('probes the key index for each key, whatever the history', async () => {
    const { client } = reader;
    await writePastRecords(client, 'production', HISTORY);
    await client.query('ANALYZE deployment');
    const environments = ['production', ...Array.from({ length: 49 }, (_, i) => `env-${i}`)];
    const repositories = environments.map(() => 'acme/shop');
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING off) ${BATCH_READ_SQL}`, [
      [],
      repositories,
      environments,
      repositories,
      environments,
      environments.map((_, i) => `gh-${i}`),
      [],
      [],
    ]);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).not.toContain('Seq Scan');
    // 50 environments' probes of three indexes read a few hundred buffers; production's history
    // alone is 20 000 records.
    expect(buffersOf(plan), plan).toBeLessThan(400);
  });
});
