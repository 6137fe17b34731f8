import { environmentWhere, findActive, findById } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { toRecord } from '../db/records.ts';
import type { DeploymentRecord, StuckPolicy } from '../ledger/index.ts';
import type { ProtectionRequestInput } from './request-types.ts';
import { findSupersededRollout } from './superseded-rollout.ts';

/** What the gate needs to know about the requesting job's environment, read from the ledger. */
export async function readSituation(
  prisma: PrismaClient,
  request: ProtectionRequestInput,
  policy: StuckPolicy,
) {
  const { repository, environment } = request;
  const own = await findOwnRecord(prisma, request);
  const found = await findActive(prisma, repository, environment);
  // The job's own deployment (its `deployment` delivery may be processed first, or this is a
  // re-run attempt of the same run) is not something to wait for — but the record it superseded
  // is, while that record's rollout goes on.
  const active = found && !isOwn(found, request) ? found : null;
  const supersededRollout = active ? null : await findSupersededRollout(prisma, request, policy);
  return {
    own,
    active: active ?? supersededRollout,
    activeIsSupersededRollout: supersededRollout !== null,
    unrecoveredFailure: await findUnrecoveredFailure(prisma, repository, environment),
  };
}

export async function findRecord(prisma: PrismaClient, id: string | null): Promise<DeploymentRecord | null> {
  return id ? findById(prisma, id) : null;
}

function isOwn(record: DeploymentRecord, request: ProtectionRequestInput): boolean {
  return (
    (request.githubDeploymentId !== null && record.githubDeploymentId === request.githubDeploymentId) ||
    record.runId === request.runId
  );
}

async function findOwnRecord(prisma: PrismaClient, request: ProtectionRequestInput) {
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
async function findUnrecoveredFailure(prisma: PrismaClient, repository: string, environment: string) {
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
