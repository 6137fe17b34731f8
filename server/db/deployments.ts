import { ACTIVE_STATES, type DeploymentRecord, type State } from '../ledger/index.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

export type Tx = Prisma.TransactionClient | PrismaClient;

export async function findById(db: Tx, id: string): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

export async function findByKey(
  db: Tx,
  repository: string,
  environment: string,
  key: string,
): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findUnique({
    where: { repository_environment_key: { repository, environment, key } },
  });
  return row ? toRecord(row) : null;
}

export async function findActive(
  db: Tx,
  repository: string,
  environment: string,
): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findFirst({
    where: { repository, environment, state: { in: [...ACTIVE_STATES] } },
  });
  return row ? toRecord(row) : null;
}

/** Records of an environment in a state, other than one, newest first. */
export async function findInState(
  db: Tx,
  repository: string,
  environment: string,
  state: State,
  exceptId: string,
): Promise<DeploymentRecord[]> {
  const rows = await db.deployment.findMany({
    where: { repository, environment, state, id: { not: exceptId } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toRecord);
}

/**
 * Serializes every write to one (repository, environment) for the rest of the transaction,
 * across connections and server replicas. The unique indexes stay the last line of defence.
 */
export async function lockEnvironment(tx: Prisma.TransactionClient, repository: string, environment: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${repository} || E'\n' || ${environment}, 0))`;
}

export interface ListQuery {
  repositories: string[];
  environment?: string | undefined;
  state?: State | undefined;
  limit: number;
  cursor?: { createdAt: Date; id: string } | undefined;
}

export async function listDeployments(db: Tx, query: ListQuery): Promise<DeploymentRecord[]> {
  const after = query.cursor;
  const rows = await db.deployment.findMany({
    where: {
      repository: { in: query.repositories },
      ...(query.environment ? { environment: query.environment } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(after
        ? {
            OR: [
              { createdAt: { lt: after.createdAt } },
              { createdAt: after.createdAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit,
  });
  return rows.map(toRecord);
}
