import { type Decision, type DeploymentRecord, githubSyncOf, type Signal } from '../ledger/index.ts';
import { writeInBatch } from './batch-writer.ts';
import { environmentLockName } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';

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

/**
 * Decides many producers' signals for records they read, of many environments, in one
 * transaction (batch-writer.ts), in order; a record renamed since the producer read it is left
 * `moved` for the caller to apply under its current names. The decisions come back to be
 * observed once the transaction committed.
 */
export async function applySignalBatch(
  prisma: PrismaClient,
  items: BatchedSignal[],
  githubSync: boolean,
): Promise<{ outcomes: BatchOutcome[]; observed: Array<[Signal, Decision]> }> {
  const { result, decisions } = await writeInBatch(
    prisma,
    { environments: items.map(({ record }) => record), ids: items.map(({ record }) => record.id) },
    (ledgers) =>
      items.map(({ record, signal }): BatchOutcome => {
        const current = ledgers.read(record.id);
        if (!current) return 'gone';
        if (lockName(current) !== lockName(record)) return 'moved';
        return ledgers.of(current).applyDecided(record.id, signal);
      }),
    { jobsOf: githubSync ? githubSyncOf : () => [] },
  );
  return { outcomes: result, observed: decisions };
}

function lockName(record: DeploymentRecord): string {
  return environmentLockName(record.repository, record.environment);
}
