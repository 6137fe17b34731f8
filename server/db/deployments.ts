import { ACTIVE_STATES, type DeploymentRecord, foldName, type State } from '../ledger/index.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { keysOf } from './distinct.ts';
import { type Deployment, Prisma, type PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';

/** Where a query runs: the client, or a transaction (whose lock it then reads under). */
export type Db = Prisma.TransactionClient | PrismaClient;

/** The rows of one (repository, environment), however either name is spelled. */
export function environmentWhere(repository: string, environment: string) {
  return { repositoryKey: foldName(repository), environmentKey: foldName(environment) };
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

/**
 * A page of records, newest first, from one environment or every environment of the repositories.
 * Each (repository, environment) walks its own history index from the cursor, at most a page, and
 * the page is the newest of those: the work follows the page and the number of environments, not
 * the history (across environments no index holds that order, so one statement sorted all of it).
 * Two statements: estimated together, a recursive skip scan looks costly enough for JIT, which
 * would take longer than the whole query.
 */
export async function listDeployments(db: Db, query: ListQuery): Promise<DeploymentRecord[]> {
  const repositories = [...new Set(query.repositories.map(foldName))];
  const pairs = query.environment
    ? repositories.map((repository) => ({ repository, environment: foldName(query.environment as string) }))
    : await environmentKeys(db, repositories);
  if (pairs.length === 0) return [];
  const after = query.cursor;
  const rows = await db.$queryRaw<Deployment[]>`
    SELECT page.* FROM unnest(${pairs.map((pair) => pair.repository)}::text[],
                              ${pairs.map((pair) => pair.environment)}::text[]) AS k(repository_key, environment_key)
    CROSS JOIN LATERAL (
      SELECT ${Prisma.raw(RECORD_SELECT)} FROM deployment d
      WHERE d.repository_key = k.repository_key AND d.environment_key = k.environment_key
        ${query.state ? Prisma.sql`AND d.state = ${query.state}` : Prisma.empty}
        ${after ? Prisma.sql`AND d.created_at <= ${after.createdAt.toISOString()}::timestamptz AND (d.created_at < ${after.createdAt.toISOString()}::timestamptz OR d.id < ${after.id}::uuid)` : Prisma.empty}
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT ${query.limit}) page
    ORDER BY page."createdAt" DESC, page.id DESC
    LIMIT ${query.limit}`;
  return rows.map(toRecord);
}

/** The (repository, environment) keys with a deployment, by the skip scan. */
async function environmentKeys(db: Db, repositories: string[]) {
  if (repositories.length === 0) return [];
  return db.$queryRaw<Array<{ repository: string; environment: string }>>`
    WITH RECURSIVE keys AS (${keysOf(repositories)})
    SELECT repository_key AS repository, environment_key AS environment FROM keys
    WHERE environment_key IS NOT NULL`;
}
