import type pg from 'pg';
import type { SqlRunner } from './deployment-sql.ts';
import type { PrismaClient } from './generated/client.ts';

/** A connected database: Prisma for queries, plus a raw script runner for migrations. */
export interface Database {
  readonly kind: 'postgresql' | 'embedded';
  readonly prisma: PrismaClient;
  /** node-postgres on the same pool, for the few hot statements. */
  readonly sql: SqlRunner;
  /** One pooled node-postgres connection for `work` (bulk writers: their own transaction, COPY). */
  withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Runs a multi-statement SQL script inside one transaction, with the migration lock held. */
  runInMigrationTransaction<T>(work: (sql: ScriptRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ScriptRunner {
  exec(script: string): Promise<void>;
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
}

/** Answers when the database does; throws its error when it does not (readiness). */
export async function pingDatabase(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
