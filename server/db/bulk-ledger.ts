import { ACTIVE_STATES, isActive } from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { environmentWhere } from './deployments.ts';
import { deferDoraMarks, markDoraDaysFrom } from './dora-rollups.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import { lockEnvironment } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

// A batch of thousands of decisions in one transaction: allow for a slow disk.
const TX_OPTIONS = { maxWait: 60_000, timeout: 300_000 };

/**
 * Bulk maintenance work (import) on one environment: in one transaction holding the
 * environment's lock, as LedgerStore.inEnvironment does, the records a signal can still change
 * are read once (the active one, the successes) with which of `keys` are stored, `work` decides
 * every signal through the core in memory (EnvironmentBatch), and the outcome is written in a
 * few statements (bulk-write.ts).
 */
export async function withEnvironmentBatch<T>(
  prisma: PrismaClient,
  scope: { repository: string; environment: string; keys: string[] },
  work: (batch: EnvironmentBatch) => T,
): Promise<T> {
  const { repository, environment, keys } = scope;
  const where = environmentWhere(repository, environment);
  return prisma.$transaction(async (tx) => {
    await lockEnvironment(tx, repository, environment);
    // One read (a BitmapOr of the one-active, success and key indexes): the records a signal
    // can still change, and those stored under one of the batch's keys.
    const rows = await tx.deployment.findMany({
      where: {
        ...where,
        OR: [{ state: { in: [...ACTIVE_STATES] } }, { state: 'success' }, { key: { in: keys } }],
      },
    });
    const records = rows.map(toRecord);
    const batch = new EnvironmentBatch(
      records.filter((record) => isActive(record.state) || record.state === 'success'),
      records.map((record) => record.key),
    );
    const result = work(batch);
    // The DORA rollups' marks, once for the batch rather than per row (dora-rollups.ts).
    const from = earliestTime(batch);
    if (from) await deferDoraMarks(tx);
    await writeBatch(tx, batch);
    if (from) await markDoraDaysFrom(tx, repository, environment, from);
    return result;
  }, TX_OPTIONS);
}

/** The earliest time a record the batch writes counts at in DORA (null: it writes none). */
function earliestTime(batch: EnvironmentBatch): Date | null {
  let earliest: number | null = null;
  for (const id of [...batch.changed, ...batch.opened]) {
    const record = batch.records.get(id);
    // Changed records' earlier times too: created_at bounds both (legacy rows may say otherwise).
    for (const at of [record?.createdAt, record?.deployedAt, record?.completedAt])
      if (at && (earliest === null || at.getTime() < earliest)) earliest = at.getTime();
  }
  return earliest === null ? null : new Date(earliest);
}
