import { foldName } from '../ledger/index.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';
import { sqlOf } from './postgres-pool.ts';

// DISTINCT over the deployment table reads every row; these skip scans walk the
// (repository_key, environment_key, created_at) index instead, one probe per distinct value, so
// the work grows with the number of repositories and environments, not of deployments. Names
// compare case-insensitively (the keys); each is shown as its newest record spells it.

/** The skip scan over every (repository, environment), from after `after` when given (a page's cursor). */
export function allKeysAfter(after: Prisma.Sql | null): Prisma.Sql {
  const start = after ? Prisma.sql`WHERE (d.repository_key, d.environment_key) > ${after}` : Prisma.empty;
  return Prisma.sql`
  (SELECT d.repository_key, d.environment_key FROM deployment d ${start}
   ORDER BY d.repository_key, d.environment_key LIMIT 1)
  UNION ALL
  SELECT next.repository_key, next.environment_key FROM keys k
  CROSS JOIN LATERAL (
    SELECT d.repository_key, d.environment_key FROM deployment d
    WHERE (d.repository_key, d.environment_key) > (k.repository_key, k.environment_key)
    ORDER BY d.repository_key, d.environment_key LIMIT 1) next`;
}

const allKeys = allKeysAfter(null);

/**
 * The skip scan within each named repository: a row comparison cannot be combined with an IN
 * list in one index range, so each repository walks its own environments (a null ends it).
 */
export function keysOf(repositories: string[]): Prisma.Sql {
  const keys = [...new Set(repositories.map(foldName))];
  return Prisma.sql`
    SELECT r.repository_key,
           (SELECT min(d.environment_key) FROM deployment d WHERE d.repository_key = r.repository_key)
             AS environment_key
    FROM unnest(ARRAY[${Prisma.join(keys)}]::text[]) AS r(repository_key)
    UNION ALL
    SELECT k.repository_key,
           (SELECT min(d.environment_key) FROM deployment d
            WHERE d.repository_key = k.repository_key AND d.environment_key > k.environment_key)
    FROM keys k WHERE k.environment_key IS NOT NULL`;
}

/** Every repository with a deployment, in order. */
export async function distinctRepositories(prisma: PrismaClient): Promise<string[]> {
  // Every environments page asks: through the pool when there is one, prepared once per
  // connection (its text never changes), so it is neither planned again nor decoded by Prisma.
  const query = Prisma.sql`
    WITH RECURSIVE r AS (
      (SELECT d.repository_key FROM deployment d ORDER BY d.repository_key LIMIT 1)
      UNION ALL
      SELECT (SELECT d.repository_key FROM deployment d WHERE d.repository_key > r.repository_key
              ORDER BY d.repository_key LIMIT 1)
      FROM r WHERE r.repository_key IS NOT NULL
    )
    SELECT spelled.repository FROM r
    CROSS JOIN LATERAL (
      SELECT d.repository FROM deployment d WHERE d.repository_key = r.repository_key
      ORDER BY d.environment_key, d.created_at DESC LIMIT 1) spelled
    WHERE r.repository_key IS NOT NULL
    ORDER BY r.repository_key`;
  const sql = sqlOf(prisma);
  const rows = sql
    ? await sql.query<{ repository: string }>(query.text, query.values, 'dashboard_repositories')
    : await prisma.$queryRaw<Array<{ repository: string }>>(query);
  return rows.map((row) => row.repository);
}

/** Every (repository, environment) with a deployment, in order, optionally narrowed. */
export async function distinctEnvironments(
  prisma: PrismaClient,
  repositories: string[] | null,
  environment?: string,
): Promise<Array<{ repository: string; environment: string }>> {
  if (repositories?.length === 0) return [];
  const rows = await prisma.$queryRaw<Array<{ repository: string; environment: string }>>`
    ${environmentsCte(repositories)}
    SELECT repository, environment FROM envs ORDER BY repository_key, environment_key`;
  const key = environment === undefined ? null : foldName(environment);
  return key === null ? rows : rows.filter((row) => foldName(row.environment) === key);
}

/**
 * `WITH RECURSIVE keys(repository_key, environment_key)`, then `envs(repository_key,
 * environment_key, repository, environment)` with each environment's newest spelling: the skip
 * scan, for queries that build on it.
 */
export function environmentsCte(repositories: string[] | null): Prisma.Sql {
  return Prisma.sql`
    WITH RECURSIVE keys AS (${repositories ? keysOf(repositories) : allKeys}),
    envs AS (
      SELECT k.repository_key, k.environment_key, spelled.repository, spelled.environment FROM keys k
      CROSS JOIN LATERAL (
        SELECT d.repository, d.environment FROM deployment d
        WHERE d.repository_key = k.repository_key AND d.environment_key = k.environment_key
        ORDER BY d.created_at DESC LIMIT 1) spelled
    )`;
}
