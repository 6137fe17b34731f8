import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import parseTimestamp from 'postgres-date';
import type { Database } from './database.ts';
import type { InTransaction, SqlRunner } from './deployment-sql.ts';
import { PrismaClient } from './generated/client.ts';

// Any fixed number works; it only has to be the same for every process migrating one database.
const MIGRATION_LOCK_ID = 7_252_011;

// The pool behind each client: reads that return large text (the DORA rollups) skip Prisma's
// per-value decoding, which costs several times the driver's on a month of histograms.
const pools = new WeakMap<PrismaClient, { sql: SqlRunner; inTransaction: InTransaction }>();

/** The node-postgres pool behind a client made by openPool (else undefined). */
export function sqlOf(prisma: PrismaClient): SqlRunner | undefined {
  return pools.get(prisma)?.sql;
}

/** Transactions on the node-postgres pool behind a client made by openPool (else undefined). */
export function transactionsOf(prisma: PrismaClient): InTransaction | undefined {
  return pools.get(prisma)?.inTransaction;
}

/**
 * Whether pool.query would open a connection for its query: a connection opened so keeps that
 * query's result for its life (pg's connect callback, held by the connection's 'end' listener,
 * holds pool.query's callback), and one opened by a burst's batch read kept MiBs of deliveries.
 */
const opensConnection = (pool: pg.Pool) => pool.idleCount === 0 && pool.totalCount < (pool.options.max ?? 10);

/** The query on a client checked out here (what then stays with a new connection is the client). */
async function throughOwnCheckout(pool: pg.Pool, config: pg.QueryConfig) {
  const client = await pool.connect();
  try {
    const result = await client.query(config);
    client.release();
    return result;
  } catch (error) {
    client.release(error as Error); // as pool.query does: the connection is not reused
    throw error;
  }
}

// Timestamps decoded by postgres-date 2, which reads them character by character: the regular
// expressions of the 1.x that node-postgres registers took 10 % of the server's CPU on an
// environments page (six timestamps a record) and 2.5× as long a value, for the same Dates
// (docs/benchmarks-history.md). Prisma's queries decode their own values; this is the raw SQL's.
const TIMESTAMP_OIDS = new Set<number>([pg.types.builtins.TIMESTAMP, pg.types.builtins.TIMESTAMPTZ]);
const RESULT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    format !== 'binary' && TIMESTAMP_OIDS.has(oid)
      ? parseTimestamp
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Prisma and the migration runner over one node-postgres pool. */
export function openPool(
  kind: Database['kind'],
  config: pg.PoolConfig,
  onClose: () => Promise<void> = async () => {},
): Database {
  const pool = new pg.Pool({ types: RESULT_TYPES, ...config });
  // An idle client that loses its connection (server restart, pg_terminate_backend) emits
  // 'error' on the pool; unhandled, that would end the process.
  pool.on('error', () => {});
  // A checked-out client whose connection dies emits 'error' on itself, not on the pool: the
  // query in flight fails (answered 5xx, retried), but the unhandled event would end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  // The embedded database is one backend behind every connection of the pool: a statement
  // prepared on one connection would already exist on the next, so it prepares nothing.
  const queryConfig = (text: string, values: unknown[], name?: string): pg.QueryConfig =>
    name && kind === 'postgresql' ? { name, text, values } : { text, values };
  const sql: SqlRunner = {
    query: async (text, params, name) => {
      const query = queryConfig(text, params, name);
      return (await (opensConnection(pool) ? throughOwnCheckout(pool, query) : pool.query(query))).rows;
    },
  };
  const onClient = (client: pg.PoolClient): SqlRunner => ({
    query: async (text, params, name) => (await client.query(queryConfig(text, params, name))).rows,
  });
  pools.set(prisma, {
    sql,
    inTransaction: (work) => inTransaction(pool, (client) => work(onClient(client)), TRANSACTION_TIMEOUT_MS),
  });
  let closed: Promise<void> | undefined;
  return {
    kind,
    prisma,
    sql,
    async withClient(work) {
      const client = await pool.connect();
      try {
        return await work(client);
      } finally {
        client.release();
      }
    },
    // No time limit: a migration takes as long as its statements do.
    runInMigrationTransaction: (work) =>
      inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
        return work({
          exec: async (script) => void (await client.query(script)),
          query: async (text, params) => (await client.query(text, params)).rows,
        });
      }),
    close() {
      closed ??= (async () => {
        try {
          await prisma.$disconnect();
          await pool.end();
        } finally {
          await onClose();
        }
      })();
      return closed;
    },
  };
}

// Hundreds of decisions in one transaction (batch-writer.ts), which waits behind other writers
// of its environments: as long as Prisma's interactive transactions were allowed to run.
const TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * `work` between BEGIN and COMMIT on one connection; rolled back when it throws. A transaction
 * left open past `timeoutMs` (a lock waited for, a hung connection) is cut as Prisma's timeout cut
 * it: its connection closed, PostgreSQL rolls it back, the statement in flight fails.
 */
async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const client = await pool.connect();
  let released = false;
  const release = (destroy: boolean) => {
    if (released) return;
    released = true;
    client.release(destroy);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => release(true), timeoutMs);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (!released) await client.query('ROLLBACK').catch(() => release(true));
    throw error;
  } finally {
    clearTimeout(timer);
    release(false);
  }
}
