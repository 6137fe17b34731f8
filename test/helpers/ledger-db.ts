import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../server/db/connect.ts';
import { LedgerStore } from '../../server/db/ledger-store.ts';
import { applyMigrations } from '../../server/db/migrate.ts';
import type { State } from '../../server/ledger/index.ts';
import { createTestDatabase } from './postgres.ts';
import { aRequest } from './records.ts';

export type DatabaseKind = 'embedded' | 'postgresql';

/**
 * A migrated database in this process (no server), with the ledger's own store to write
 * through: for testing queries over the ledger on both databases.
 */
export async function openLedgerDatabase(kind: DatabaseKind) {
  const pg = kind === 'postgresql' ? await createTestDatabase() : null;
  const dataDir = pg ? null : mkdtempSync(path.join(tmpdir(), 'deployledger-unit-'));
  const db = await openDatabase({ databaseUrl: pg?.url, dataDir: dataDir ?? '', poolSize: 4 });
  await applyMigrations(db);
  const store = new LedgerStore(db.prisma, { sql: db.sql });
  return {
    /** The connection itself, for bulk writers that take one (import). */
    database: db,
    prisma: db.prisma,
    sql: db.sql,
    /** The PostgreSQL database's URL (undefined for the embedded one). */
    url: pg?.url,
    store,
    async close() {
      await db.close();
      await pg?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type LedgerDatabase = Awaited<ReturnType<typeof openLedgerDatabase>>;

let counter = 0;

/** One deployment through the store: started at `startedAt`, ended `outcome` at `at`. */
export async function deployThrough(
  store: LedgerStore,
  options: {
    repository?: string;
    environment: string;
    startedAt: string;
    at: string;
    outcome: Extract<State, 'success' | 'failure' | 'error'>;
    commitAt?: string;
    /** Default: a sha of its own. */
    sha?: string;
  },
) {
  counter += 1;
  const created = await store.create(
    {
      ...aRequest({
        repository: options.repository ?? 'acme/dora',
        environment: options.environment,
        key: `unit-${counter}`,
        sha: options.sha ?? counter.toString(16).padStart(7, '0'),
        ref: 'main',
        runId: null,
        runAttempt: null,
        fingerprint: `unit-${counter}`,
        commitAt: options.commitAt ? new Date(options.commitAt) : null,
      }),
      supersede: false,
    },
    'action',
    new Date(options.startedAt),
  );
  if (created.kind !== 'created') throw new Error(`could not seed a deployment: ${created.kind}`);
  const ended = await store.apply(created.record.id, {
    source: 'action',
    state: options.outcome,
    at: new Date(options.at),
  });
  if (!ended?.applied) throw new Error(`the ${options.outcome} signal was not applied`);
  return ended.record;
}

/**
 * Past records of one environment of acme/shop, none active (deployed ones if `deployed`), written
 * in one statement without ANALYZE: the table grows while its planner statistics stay as they were.
 */
export async function writePastRecords(
  client: { query(text: string, values?: unknown[]): Promise<unknown> },
  environment: string,
  count: number,
  { deployed = false } = {},
) {
  await client.query('BEGIN');
  await client.query("SELECT set_config('deployledger.dora_deferred', 'on', true)");
  await client.query(
    `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, deployed_at, updated_at)
     SELECT gen_random_uuid(), 'acme/shop', $1, gen_random_uuid()::text, md5(g::text), 'inactive',
            now() - (g || ' minutes')::interval,
            CASE WHEN $3::boolean THEN now() - (g || ' minutes')::interval END, now()
     FROM generate_series(1, $2::int) g`,
    [environment, count, deployed],
  );
  await client.query('COMMIT');
}
