import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Database } from './database.ts';
import type { SqlRunner } from './deployment-sql.ts';
import { PrismaClient } from './generated/client.ts';

// Any fixed number works; it only has to be the same for every process migrating one database.
const MIGRATION_LOCK_ID = 7_252_011;

// The pool behind each client: reads that return large text (the DORA rollups) skip Prisma's
// per-value decoding, which costs several times the driver's on a month of histograms.
const pools = new WeakMap<PrismaClient, SqlRunner>();

/** The node-postgres pool behind a client made by openPool (else undefined). */
export function sqlOf(prisma: PrismaClient): SqlRunner | undefined {
  return pools.get(prisma);
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

/** Prisma and the migration runner over one node-postgres pool. */
export function openPool(
  kind: Database['kind'],
  config: pg.PoolConfig,
  onClose: () => Promise<void> = async () => {},
): Database {
  const pool = new pg.Pool(config);
  // An idle client that loses its connection (server restart, pg_terminate_backend) emits
  // 'error' on the pool; unhandled, that would end the process.
  pool.on('error', () => {});
  // A checked-out client whose connection dies emits 'error' on itself, not on the pool: the
  // query in flight fails (answered 5xx, retried), but the unhandled event would end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sql: SqlRunner = {
    // The embedded database is one backend behind every connection of the pool: a statement
    // prepared on one connection would already exist on the next, so it prepares nothing.
    query: async (text, params, name) => {
      const config =
        name && kind === 'postgresql' ? { name, text, values: params } : { text, values: params };
      return (await (opensConnection(pool) ? throughOwnCheckout(pool, config) : pool.query(config))).rows;
    },
  };
  pools.set(prisma, sql);
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
    async runInMigrationTransaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
        const result = await work({
          exec: async (script) => void (await client.query(script)),
          query: async (text, params) => (await client.query(text, params)).rows,
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
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
