import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';

/** A connected database: Prisma for queries, plus a raw script runner for migrations. */
export interface Database {
  readonly kind: 'postgresql' | 'embedded';
  readonly prisma: PrismaClient;
  /** Runs a multi-statement SQL script inside one transaction, with the migration lock held. */
  runInMigrationTransaction<T>(work: (sql: ScriptRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ScriptRunner {
  exec(script: string): Promise<void>;
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
}

// Any fixed number works; it only has to be the same for every process migrating one database.
const MIGRATION_LOCK_ID = 7_252_011;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openEmbedded(options.dataDir);
}

function openPostgres(connectionString: string, max: number): Database {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client that loses its connection (server restart, pg_terminate_backend) emits
  // 'error' on the pool; unhandled, that would end the process.
  pool.on('error', () => {});
  // A checked-out client whose connection dies emits 'error' on itself, not on the pool: the
  // query in flight fails (answered 5xx, retried), but the unhandled event would end the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: 'postgresql',
    prisma,
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
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = path.resolve(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
  return {
    kind: 'embedded',
    prisma,
    async runInMigrationTransaction(work) {
      // PGlite is one connection in this process: its transaction is the lock.
      return client.transaction((tx) =>
        work({
          exec: async (script) => void (await tx.exec(script)),
          query: async (text, params) => (await tx.query(text, params)).rows as never[],
        }),
      );
    },
    async close() {
      await prisma.$disconnect();
      await client.close();
    },
  };
}
