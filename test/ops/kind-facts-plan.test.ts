import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { writePastRecords } from '../helpers/ledger-db.ts';
import { buffersOf, explainFromNow, planReader } from '../helpers/plans.ts';

// A batch of creates reads its kind facts through deployment_locked_kind_facts_batch, whose query
// PL/pgSQL plans once per connection and keeps until the table's statistics change. A plan made
// while the table was small scanned it for each environment's current deployment and answered the
// "deployed before" test with one hashed scan of every deployed row, and kept doing so, on every
// call, as the table grew (the bench's creates: 1 809 such scans in 25 s, PostgreSQL's CPU a
// create 197–244 µs instead of 44–64). Migration 20261218000100 keeps the function on its index
// probes whatever the table's size when it was planned.

const DEPLOYED = 20_000;

/** The facts of ten creates, one in production and nine in new environments, as a batch reads them. */
function readFacts(client: pg.Client, round: string) {
  const environments = ['production', ...Array.from({ length: 9 }, (_, i) => `batch-${round}-${i}`)];
  return client.query(
    `SELECT * FROM deployment_locked_kind_facts_batch($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
    [
      environments.map((_, i) => i + 1),
      environments.map((_, i) => i + 1000),
      environments.map(() => 'acme/shop'),
      environments,
      environments.map(() => 'a'.repeat(40)),
    ],
  );
}

describe("a batch's kind facts on a table grown since they were planned", () => {
  const reader = planReader();

  it('probes the indexes, not every deployed row', async () => {
    const { client, plans } = reader;
    await writePastRecords(client, 'production', 20, { deployed: true });
    await client.query('ANALYZE deployment');
    // The plan every later call would use once PostgreSQL settles on the generic one.
    await client.query('SET plan_cache_mode = force_generic_plan');
    for (let round = 0; round < 6; round++) await readFacts(client, `small-${round}`);

    await writePastRecords(client, 'production', DEPLOYED, { deployed: true });
    await explainFromNow(client, { nested: true });
    const { rows } = await readFacts(client, 'grown');
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => row.current_sha === null && row.deployed_before === false)).toBe(true);

    const facts = plans.filter((plan) => plan.includes('Query Text: SELECT i.o,'));
    expect(facts).toHaveLength(1);
    expect(facts[0]).not.toContain('Seq Scan');
    // Ten environments' probes read a few dozen buffers; a read of production's deployed history
    // (by the wrong index) or of every deployed row, hundreds.
    expect(buffersOf(facts[0] as string), facts[0]).toBeLessThan(100);
  });
});
