import { ACTIVE_STATES, type DeploymentRecord, type StuckPolicy, stuckAfterMs } from '../ledger/index.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

/**
 * Active records created before their environment's deadline, oldest first: the sweeper's
 * candidates (it checks each again with the core's isStuck, under the environment's lock).
 */
export async function findStuckCandidates(
  prisma: PrismaClient,
  policy: StuckPolicy,
  now: Date,
  limit: number,
): Promise<DeploymentRecord[]> {
  const rows = await prisma.deployment.findMany({
    where: { state: { in: [...ACTIVE_STATES] }, OR: pastDeadline(policy, now) },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
  return rows.map(toRecord);
}

/** Per environment (by its folded name): created before now minus its deadline (overrides, then default). */
function pastDeadline(policy: StuckPolicy, now: Date): Prisma.DeploymentWhereInput[] {
  const before = (environment: string) => new Date(now.getTime() - stuckAfterMs(policy, environment));
  const overridden = Object.keys(policy.byEnvironment);
  return [
    ...overridden.map((environmentKey) => ({ environmentKey, createdAt: { lt: before(environmentKey) } })),
    {
      environmentKey: { notIn: overridden },
      createdAt: { lt: new Date(now.getTime() - policy.defaultSeconds * 1000) },
    },
  ];
}
