import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type LedgerDatabase, openLedgerDatabase } from './ledger-db.ts';

export interface PlanReader {
  db: LedgerDatabase;
  /** One connection, as a pooled connection of the server is. */
  client: pg.Client;
  /** The plans PostgreSQL sent this client once `explainFromNow` was called, in order. */
  plans: string[];
}

/** For a describe block: a migrated PostgreSQL database and a client whose plans can be read. */
export function planReader(): PlanReader {
  const reader = { plans: [] as string[] } as PlanReader;
  beforeAll(async () => {
    reader.db = await openLedgerDatabase('postgresql');
    reader.client = new pg.Client({ connectionString: reader.db.url });
    await reader.client.connect();
    reader.client.on('notice', (notice) => reader.plans.push(notice.message ?? ''));
  });
  afterAll(async () => {
    await reader.client?.end();
    await reader.db?.close();
  });
  return reader;
}

/**
 * From now on each statement's plan, with the buffers it read, comes to the client as a notice
 * (auto_explain); `nested`: those of the statements a function runs too.
 */
export async function explainFromNow(client: pg.Client, { nested = false } = {}) {
  await client.query("LOAD 'auto_explain'");
  const settings = ['min_duration = 0', 'analyze = on', 'buffers = on', 'timing = off'];
  if (nested) settings.push('nested_statements = on');
  for (const setting of settings) await client.query(`SET auto_explain.log_${setting}`);
  await client.query('SET client_min_messages = log');
}

/** The buffers a plan's top node read (hit and read). */
export function buffersOf(plan: string): number {
  const buffers = plan.match(/Buffers: shared hit=(\d+)(?: read=(\d+))?/);
  return Number(buffers?.[1] ?? 0) + Number(buffers?.[2] ?? 0);
}
