import { foldName } from '../ledger/index.ts';
import { environmentWhere } from './deployments.ts';
import {
  environmentLockName,
  LOCK_IN_ORDER_SQL,
  LOCKED_TX_OPTIONS,
  lockNamesInOrder,
} from './environment-lock.ts';
import { isUniqueViolation } from './errors.ts';
import type { PrismaClient } from './generated/client.ts';

/**
 * A repository (and environment) as a producer that speaks for GitHub just spelled them: a
 * webhook payload, the Action's request. `repositoryId` is GitHub's numeric id when it was given.
 */
export interface SeenNames {
  repository: string;
  environment?: string | undefined;
  repositoryId?: number | null | undefined;
}

export interface RespellOutcome {
  /** Records that now show the new spelling or name, or learnt the repository id. */
  changed: number;
  /** Environments whose records could not take the new name: another repository holds their keys. */
  conflicts: Array<{ repository: string; environment: string }>;
}

/**
 * The latest spelling wins for display, and a renamed or transferred repository keeps its
 * history: every record of the repository — found by GitHub's id, or by its name compared
 * case-insensitively — takes the name GitHub now uses; records of the environment take its
 * spelling; records without the id learn it. One transaction per environment, under that
 * environment's lock, so no writer of the environment is in the middle of a decision. Identity
 * columns only: no state changes here.
 */
export async function respellRepository(prisma: PrismaClient, seen: SeenNames): Promise<RespellOutcome> {
  const outcome: RespellOutcome = { changed: 0, conflicts: [] };
  if (!(await needsRespelling(prisma, seen))) return outcome;
  const id = seen.repositoryId == null ? null : BigInt(seen.repositoryId);
  const key = foldName(seen.repository);
  const environmentKey = seen.environment === undefined ? null : foldName(seen.environment);
  const scopes = await prisma.$queryRaw<Array<{ repository_key: string; environment_key: string }>>`
    SELECT DISTINCT repository_key, environment_key FROM deployment
    WHERE repository_key = ${key} OR (${id}::bigint IS NOT NULL AND repository_id = ${id}::bigint)
    ORDER BY repository_key, environment_key`;
  for (const scope of scopes) {
    try {
      outcome.changed += await prisma.$transaction(async (tx) => {
        // Both spellings' locks, in the order every writer holding several takes them: two
        // renames in opposite directions (deliveries from before and after one) cannot deadlock.
        const names = [scope.repository_key, key].map((r) => environmentLockName(r, scope.environment_key));
        await tx.$queryRawUnsafe(LOCK_IN_ORDER_SQL, lockNamesInOrder(names));
        return tx.$executeRaw`
          UPDATE deployment SET
            repository = ${seen.repository},
            repository_id = COALESCE(repository_id, ${id}::bigint),
            environment = CASE WHEN environment_key = ${environmentKey} THEN ${seen.environment ?? null}
                               ELSE environment END
          WHERE repository_key = ${scope.repository_key} AND environment_key = ${scope.environment_key}
            AND (${id}::bigint IS NULL OR repository_id IS NULL OR repository_id = ${id}::bigint)
            AND (repository <> ${seen.repository}
                 OR (repository_id IS NULL AND ${id}::bigint IS NOT NULL)
                 OR (environment_key = ${environmentKey} AND environment <> ${seen.environment ?? null}))`;
      }, LOCKED_TX_OPTIONS);
    } catch (error) {
      // The new name already has a record with one of these keys (the same deployment seen under
      // both names, or another repository that held the name): left for `deployledger repair`,
      // and `deployledger check` names it.
      if (!isUniqueViolation(error, 'deployment_')) throw error;
      outcome.conflicts.push({ repository: scope.repository_key, environment: scope.environment_key });
    }
  }
  return outcome;
}

/**
 * Whether the records already show these names: one probe of the environment's latest record
 * and, with an id, of the repository's latest record. Respelling is rare; this is the common path.
 */
async function needsRespelling(prisma: PrismaClient, seen: SeenNames): Promise<boolean> {
  const newest = { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] };
  const select = { repository: true, environment: true, repositoryId: true };
  if (seen.environment !== undefined) {
    const latest = await prisma.deployment.findFirst({
      where: environmentWhere(seen.repository, seen.environment),
      select,
      ...newest,
    });
    if (latest) {
      const otherRepository =
        seen.repositoryId != null &&
        latest.repositoryId !== null &&
        latest.repositoryId !== BigInt(seen.repositoryId);
      if (!otherRepository) {
        if (latest.repository !== seen.repository || latest.environment !== seen.environment) return true;
        if (seen.repositoryId != null && latest.repositoryId === null) return true;
      }
    }
  }
  if (seen.repositoryId == null) return false;
  const byId = await prisma.deployment.findFirst({
    where: { repositoryId: BigInt(seen.repositoryId) },
    select,
    ...newest,
  });
  return byId !== null && byId.repository !== seen.repository;
}
