import { ACTIVE_STATES, type DeploymentRecord } from '../ledger/index.ts';
import type { PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

// The records the metric sampler may still sample (only those with a metrics endpoint).

/** Active records with no sample from before their rollout yet. */
export async function findAwaitingPreSample(
  prisma: PrismaClient,
  limit: number,
): Promise<DeploymentRecord[]> {
  const rows = await prisma.deployment.findMany({
    where: {
      metricsEndpoint: { not: null },
      state: { in: [...ACTIVE_STATES] },
      metricSamples: { none: { phase: 'pre' } },
    },
    take: limit,
  });
  return rows.map(toRecord);
}

/** Successful records deployed after `since`: their after-rollout samples may be due. */
export async function findDeployedSince(
  prisma: PrismaClient,
  since: Date,
  limit: number,
): Promise<DeploymentRecord[]> {
  const rows = await prisma.deployment.findMany({
    where: { metricsEndpoint: { not: null }, state: 'success', deployedAt: { gt: since } },
    take: limit,
  });
  return rows.map(toRecord);
}
