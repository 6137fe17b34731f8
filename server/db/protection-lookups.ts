import type { DeploymentRecord } from '../ledger/index.ts';
import { type Db, environmentWhere } from './deployments.ts';
import { toRecord } from './records.ts';

// The records the deployment protection rule weighs a request against.

/** The newest record of the requesting job: by its run, or by the GitHub deployment GitHub made for it. */
export async function findOwnRecord(
  prisma: Db,
  request: { repository: string; environment: string; runId: number; githubDeploymentId: number | null },
): Promise<DeploymentRecord | null> {
  const row = await prisma.deployment.findFirst({
    where: {
      ...environmentWhere(request.repository, request.environment),
      OR: [
        { runId: BigInt(request.runId) },
        ...(request.githubDeploymentId !== null
          ? [{ githubDeploymentId: BigInt(request.githubDeploymentId) }]
          : []),
      ],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return row ? toRecord(row) : null;
}

/** The environment's newest failed deployment, unless a deployment created after it succeeded. */
export async function findUnrecoveredFailure(prisma: Db, repository: string, environment: string) {
  const failed = await prisma.deployment.findFirst({
    where: { ...environmentWhere(repository, environment), state: { in: ['failure', 'error'] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  if (!failed) return null;
  const succeededSince = await prisma.deployment.findFirst({
    where: {
      ...environmentWhere(repository, environment),
      deployedAt: { not: null },
      createdAt: { gt: failed.createdAt },
    },
    select: { id: true },
  });
  return succeededSince ? null : toRecord(failed);
}
