import { environmentWhere } from '../db/deployments.ts';
import { distinctRepositories, environmentsCte } from '../db/distinct.ts';
import { Prisma, type PrismaClient } from '../db/generated/client.ts';
import { toRecord } from '../db/records.ts';
import type { DeploymentRecord, State } from '../ledger/index.ts';
import { foldName, isActive } from '../ledger/index.ts';

/** Read-only queries behind the dashboard pages. */

/**
 * Per (repository, environment): its active deployment, else its latest one. Active
 * environments first, then by repository and environment.
 */
export async function currentPerEnvironment(
  prisma: PrismaClient,
  repositories: string[] | null,
): Promise<DeploymentRecord[]> {
  if (repositories?.length === 0) return [];
  // A skip scan over the (repository, environment, created_at) index finds each environment
  // without reading its history; then each one's active record (partial unique index) or
  // latest. The work grows with the number of environments, not of deployments.
  const ids = await prisma.$queryRaw<Array<{ id: string }>>`
    ${environmentsCte(repositories)}
    SELECT coalesce(active.id, latest.id) AS id FROM envs e
    LEFT JOIN LATERAL (
      SELECT d.id FROM deployment d
      WHERE d.repository_key = e.repository_key AND d.environment_key = e.environment_key
        AND d.state IN ('pending', 'queued', 'in_progress')
      LIMIT 1) active ON true
    LEFT JOIN LATERAL (
      SELECT d.id FROM deployment d
      WHERE d.repository_key = e.repository_key AND d.environment_key = e.environment_key
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT 1) latest ON true`;
  const rows = await prisma.deployment.findMany({ where: { id: { in: ids.map((row) => row.id) } } });
  return rows
    .map(toRecord)
    .sort(
      (a, b) =>
        Number(isActive(b.state)) - Number(isActive(a.state)) ||
        a.repository.localeCompare(b.repository) ||
        a.environment.localeCompare(b.environment),
    );
}

/** Repositories that have deployments and the viewer may see, for the filter. */
export async function visibleRepositories(
  prisma: PrismaClient,
  repositories: string[] | null,
): Promise<string[]> {
  if (repositories) return [...new Map(repositories.map((name) => [foldName(name), name])).values()].sort();
  return distinctRepositories(prisma);
}

export interface StripMark {
  id: string;
  state: State;
  createdAt: Date;
}

const STRIP_LIMIT = 5000;

/** Every deployment of an environment since `since`, oldest first (capped). */
export async function stripMarks(
  prisma: PrismaClient,
  repository: string,
  environment: string,
  since: Date,
): Promise<StripMark[]> {
  const rows = await prisma.deployment.findMany({
    where: { ...environmentWhere(repository, environment), createdAt: { gte: since } },
    select: { id: true, state: true, createdAt: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: STRIP_LIMIT,
  });
  return rows.reverse().map((row) => ({ id: row.id, state: row.state as State, createdAt: row.createdAt }));
}

export async function timeline(prisma: PrismaClient, deploymentId: string) {
  return prisma.deploymentEvent.findMany({ where: { deploymentId }, orderBy: { id: 'asc' } });
}
