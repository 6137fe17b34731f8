import {
  type Decision,
  type DeploymentRecord,
  foldName,
  type GithubSyncJob,
  githubSyncOf,
  type Signal,
} from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { type DeploymentSqlRow, fromSqlRow } from './deployment-sql.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import { environmentLockName, environmentLockSql, LOCKED_TX_OPTIONS } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';
import { enqueue } from './outbox.ts';

/** A producer's signal for a record, with the record as the producer read it. */
export interface BatchedSignal {
  /** Its names say which environment's lock to take; the record is read again under the lock. */
  record: DeploymentRecord;
  signal: Signal;
}

/** Per signal: what was decided, `gone` (no such record), or `moved` (renamed since it was read). */
export type BatchOutcome =
  | { record: DeploymentRecord; applied: boolean; reason: string | null }
  | 'gone'
  | 'moved';

// Every environment's lock, in one order for every batch (two batches never wait on each other
// in a cycle): the same lock LedgerStore and the conditional writes take.
const LOCK_SQL = `SELECT count(${environmentLockSql('name')})::int AS locked
  FROM (SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS l(name, ord) ORDER BY ord) AS names`;

// The records, fresh under the locks, and their environments' successes (auto-inactive retires them).
const READ_SQL = `SELECT ${RECORD_SELECT} FROM deployment
  WHERE id = ANY($1::uuid[])
     OR (state = 'success' AND (repository_key, environment_key) IN
          (SELECT * FROM unnest($2::text[], $3::text[])))`;

/**
 * Decides many signals, for records of many environments, in one transaction of a few
 * statements: every environment's lock, one read of the records and their environments'
 * successes, each signal decided by the core in memory in order (EnvironmentBatch, exactly as
 * LedgerStore decides one, auto-inactive included), then one write of the changed records with
 * their timeline and one of their outbox jobs. The decisions come back to be observed once the
 * transaction committed.
 */
export async function applySignalBatch(
  prisma: PrismaClient,
  items: BatchedSignal[],
  githubSync: boolean,
): Promise<{ outcomes: BatchOutcome[]; observed: Array<[Signal, Decision]> }> {
  const observed: Array<[Signal, Decision]> = [];
  const outcomes = await prisma.$transaction(async (tx) => {
    const read = items.map(({ record }) => record);
    await tx.$queryRawUnsafe(LOCK_SQL, [...new Set(read.map(lockName))].sort());
    const rows = await tx.$queryRawUnsafe<DeploymentSqlRow[]>(
      READ_SQL,
      read.map((record) => record.id),
      read.map((record) => foldName(record.repository)),
      read.map((record) => foldName(record.environment)),
    );
    const fresh = new Map<string, DeploymentRecord>();
    const byEnvironment = new Map<string, DeploymentRecord[]>();
    for (const row of rows) {
      const { record } = fromSqlRow(row);
      fresh.set(record.id, record);
      const name = lockName(record);
      byEnvironment.set(name, [...(byEnvironment.get(name) ?? []), record]);
    }
    const jobs: Array<GithubSyncJob & { deploymentId: string }> = [];
    const batches = new Map<string, EnvironmentBatch>();
    const now = new Date();
    const batchOf = (name: string) => {
      let batch = batches.get(name);
      if (!batch) {
        batch = new EnvironmentBatch(byEnvironment.get(name) ?? [], [], now, (before, signal, decision) => {
          observed.push([signal, decision]);
          for (const job of githubSync ? githubSyncOf(decision) : [])
            jobs.push({ ...job, deploymentId: decision.record.id });
        });
        batches.set(name, batch);
      }
      return batch;
    };
    const outcomes = items.map(({ record, signal }): BatchOutcome => {
      const current = fresh.get(record.id);
      if (!current) return 'gone';
      if (lockName(current) !== lockName(record)) return 'moved';
      return batchOf(lockName(current)).applyDecided(record.id, signal);
    });
    await writeBatch(tx, merged([...batches.values()]));
    await enqueue(tx, ...jobs);
    return outcomes;
  }, LOCKED_TX_OPTIONS);
  return { outcomes, observed };
}

function lockName(record: DeploymentRecord): string {
  return environmentLockName(record.repository, record.environment);
}

/** The batches' changes as one, for one write. */
function merged(batches: EnvironmentBatch[]): Parameters<typeof writeBatch>[1] {
  return {
    records: new Map(batches.flatMap((batch) => [...batch.records])),
    changed: new Set(batches.flatMap((batch) => [...batch.changed])),
    opened: [],
    events: batches.flatMap((batch) => batch.events),
  };
}
