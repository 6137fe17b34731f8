import type { PrismaClient } from '../db/generated/client.ts';
import type { MetricValue } from './parse-metrics.ts';
import type { Slot } from './schedule.ts';

/**
 * Stores one sample's values. Unique per (deployment, phase, collected_at, metric): a retry or a
 * second collector that took the same slot adds nothing (ON CONFLICT DO NOTHING).
 */
export async function storeSample(
  prisma: PrismaClient,
  deploymentId: string,
  slot: Slot,
  values: MetricValue[],
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
