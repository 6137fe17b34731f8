import { ACTIVE_STATES } from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { environmentWhere, lockEnvironment } from './deployments.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import type { PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

// A batch of thousands of decisions in one transaction: allow for a slow disk.
const TX_OPTIONS = { maxWait: 60_000, timeout: 300_000 };

/**
 * Bulk maintenance work (import) on one environment: in one transaction holding the
 * environment's lock, as LedgerStore.withEnvironment does, the records a signal can still change
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
    const stored = await tx.$queryRaw<Array<{ key: string }>>`
      SELECT key FROM deployment
      WHERE repository_key = ${where.repositoryKey} AND environment_key = ${where.environmentKey}
        AND key = ANY(${keys}::text[])`;
    // Two reads, so that each is served by its own partial index.
    const active = await tx.deployment.findMany({ where: { ...where, state: { in: [...ACTIVE_STATES] } } });
    const successes = await tx.deployment.findMany({ where: { ...where, state: 'success' } });
    const batch = new EnvironmentBatch(
      [...active, ...successes].map(toRecord),
      stored.map((row) => row.key),
    );
    const result = work(batch);
    await writeBatch(tx, batch);
    return result;
  }, TX_OPTIONS);
}
