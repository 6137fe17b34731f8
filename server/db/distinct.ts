import { Prisma, type PrismaClient } from './generated/client.ts';

// DISTINCT over the deployment table reads every row; these skip scans walk the
// (repository, environment, created_at) index instead, one probe per distinct value, so the
// work grows with the number of repositories and environments, not of deployments.

function inRepositories(repositories: string[] | null): Prisma.Sql {
  return repositories ? Prisma.sql`AND d.repository IN (${Prisma.join(repositories)})` : Prisma.empty;
}

/** Every repository with a deployment, in order. */
export async function distinctRepositories(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ repository: string }>>`
    WITH RECURSIVE r AS (
      (SELECT d.repository FROM deployment d ORDER BY d.repository LIMIT 1)
      UNION ALL
      SELECT (SELECT d.repository FROM deployment d WHERE d.repository > r.repository ORDER BY d.repository LIMIT 1)
      FROM r WHERE r.repository IS NOT NULL
    )
    SELECT repository FROM r WHERE repository IS NOT NULL`;
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
    SELECT repository, environment FROM envs`;
  return environment ? rows.filter((row) => row.environment === environment) : rows;
}

/** `WITH RECURSIVE envs(repository, environment)`: the skip scan, for queries that build on it. */
export function environmentsCte(repositories: string[] | null): Prisma.Sql {
  return Prisma.sql`
    WITH RECURSIVE envs AS (
      (SELECT d.repository, d.environment FROM deployment d
       WHERE true ${inRepositories(repositories)}
       ORDER BY d.repository, d.environment LIMIT 1)
      UNION ALL
      SELECT next.repository, next.environment FROM envs e
      CROSS JOIN LATERAL (
        SELECT d.repository, d.environment FROM deployment d
        WHERE (d.repository, d.environment) > (e.repository, e.environment) ${inRepositories(repositories)}
        ORDER BY d.repository, d.environment LIMIT 1) next
    )`;
}
