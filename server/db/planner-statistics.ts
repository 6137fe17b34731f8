import type { SqlRunner } from './deployment-sql.ts';

// The hot statements are prepared once per connection, and PostgreSQL keeps a statement's
// generic plan until the statistics of a table it reads change. A plan made while a table was
// small (a new installation, analyzed at its first few dozen rows) reads the table as a whole:
// a sequential scan for a key, a sort of an environment's whole history for its newest record.
// Autovacuum's ANALYZE re-plans them once a table grew by 10 %; where it is off or lags behind a
// burst, that plan stays, so the server analyzes a table itself once it is twice the size its
// statistics say (or has grown without any), which re-plans every connection's statements. Size in
// pages, as the planner itself scales its estimates: read from the file, it needs no statistics.

/** The tables the prepared statements read, whose growth can outdate their plans. */
export const PLANNED_TABLES = ['deployment', 'deployment_event', 'outbox_job', 'webhook_delivery'] as const;

/** Pages a table must fill before its statistics are worth refreshing (1 MiB): any plan reads less. */
const MIN_PAGES = 128;

const STALE_SQL = `SELECT c.relname AS name FROM pg_class c
  CROSS JOIN LATERAL (SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS pages) now
  WHERE c.relname = ANY($1::text[]) AND c.relnamespace = current_schema()::regnamespace
    AND now.pages >= $2 AND now.pages > 2 * c.relpages`;

/** Analyzes the planned tables whose statistics are outdated; their names, in PLANNED_TABLES' order. */
export async function analyzeGrownTables(sql: SqlRunner): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(STALE_SQL, [PLANNED_TABLES, MIN_PAGES]);
  const stale = PLANNED_TABLES.filter((table) => rows.some((row) => row.name === table));
  for (const table of stale) await sql.query(`ANALYZE ${table}`, []);
  return stale;
}
