import { ACTIVE_STATES, type DeploymentRecord, foldName, type State } from '../ledger/index.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

/** Where a query runs: the client, or a transaction (whose lock it then reads under). */
export type Db = Prisma.TransactionClient | PrismaClient;

/** The rows of one (repository, environment), however either name is spelled. */
export function environmentWhere(repository: string, environment: string) {
  return { repositoryKey: foldName(repository), environmentKey: foldName(environment) };
}

/** The rows of any of these repositories, however they are spelled. */
export function repositoriesWhere(repositories: readonly string[]) {
  return { repositoryKey: { in: [...new Set(repositories.map(foldName))] } };
}

export async function findById(db: Db, id: string): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

export async function findByKey(
  db: Db,
  repository: string,
  environment: string,
  key: string,
): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findUnique({
    where: {
      repositoryKey_environmentKey_key: {
        repositoryKey: foldName(repository),
        environmentKey: foldName(environment),
        key,
      },
    },
  });
  return row ? toRecord(row) : null;
}

export async function findActive(
  db: Db,
  repository: string,
  environment: string,
): Promise<DeploymentRecord | null> {
  const row = await db.deployment.findFirst({
    where: { ...environmentWhere(repository, environment), state: { in: [...ACTIVE_STATES] } },
  });
  return row ? toRecord(row) : null;
}

/** Records of an environment in a state, other than one, newest first. */
export async function findInState(
  db: Db,
  repository: string,
  environment: string,
  state: State,
  exceptId: string,
): Promise<DeploymentRecord[]> {
  const rows = await db.deployment.findMany({
    where: { ...environmentWhere(repository, environment), state, id: { not: exceptId } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toRecord);
}

/** Every record, oldest first (what `repair` plans over). */
export async function listAllOldestFirst(db: Db): Promise<DeploymentRecord[]> {
  const rows = await db.deployment.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toRecord);
}

export interface ListQuery {
  repositories: string[];
  environment?: string | undefined;
  state?: State | undefined;
  limit: number;
  cursor?: { createdAt: Date; id: string } | undefined;
}

export async function listDeployments(db: Db, query: ListQuery): Promise<DeploymentRecord[]> {
  const after = query.cursor;
  const rows = await db.deployment.findMany({
    where: {
      ...repositoriesWhere(query.repositories),
      ...(query.environment ? { environmentKey: foldName(query.environment) } : {}),
      ...(query.state ? { state: query.state } : {}),
      // Keyset: (created_at, id) before the cursor. The `lte` bound lets the history index
      // start at the cursor, so a deep page reads one page, not the history above it.
      ...(after
        ? {
            createdAt: { lte: after.createdAt },
            OR: [{ createdAt: { lt: after.createdAt } }, { id: { lt: after.id } }],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit,
  });
  return rows.map(toRecord);
}
