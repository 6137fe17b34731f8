import type { Db } from './deployments.ts';
import type { PrismaClient } from './generated/client.ts';

// A record's metric samples (metric_sample): one row per (phase, collected_at, metric).

/**
 * Stores one sample's values. Unique per (deployment, phase, collected_at, metric): a retry or a
 * second collector that took the same slot adds nothing (ON CONFLICT DO NOTHING).
 */
export async function insertSample(
  prisma: PrismaClient,
  deploymentId: string,
  slot: { phase: string; at: Date },
  values: Array<{ name: string; value: number }>,
): Promise<number> {
  const { count } = await prisma.metricSample.createMany({
    data: values.map(({ name, value }) => ({
      deploymentId,
      phase: slot.phase,
      collectedAt: slot.at,
      name,
      value,
    })),
    skipDuplicates: true,
  });
  return count;
}

/** The slot times of a phase that already have values. */
export async function sampledTimes(
  prisma: PrismaClient,
  deploymentId: string,
  phase: string,
): Promise<Set<string>> {
  const rows = await prisma.metricSample.findMany({
    where: { deploymentId, phase },
    distinct: ['collectedAt'],
    select: { collectedAt: true },
  });
  return new Set(rows.map((row) => row.collectedAt.toISOString()));
}

/** A record's samples, oldest first (by metric name within one collection). */
export async function findSamples(prisma: PrismaClient, deploymentId: string) {
  return prisma.metricSample.findMany({
    where: { deploymentId },
    orderBy: [{ collectedAt: 'asc' }, { name: 'asc' }],
  });
}

/** Moves a merged duplicate's samples to its survivor. */
export async function moveSamples(db: Db, fromId: string, survivorId: string): Promise<void> {
  // A sample the survivor already has for the same slot and metric is the same sample: dropped.
  await db.$executeRaw`
      UPDATE metric_sample m SET deployment_id = ${survivorId}::uuid
      WHERE m.deployment_id = ${fromId}::uuid
        AND NOT EXISTS (
          SELECT 1 FROM metric_sample s WHERE s.deployment_id = ${survivorId}::uuid
            AND s.phase = m.phase AND s.collected_at = m.collected_at AND s.name = m.name)`;
}
