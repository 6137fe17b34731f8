import { foldName } from '../ledger/index.ts';
import { allKeysAfter, keysOf } from './distinct.ts';
import type { EnvironmentKey, Scope } from './dora-aggregates.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';

export interface PagedEnvironment extends EnvironmentKey {
  repository: string;
  environment: string;
}

interface Row {
  repository_key: string;
  environment_key: string;
  repository: string | null;
  environment: string | null;
}

const after = (key: EnvironmentKey | undefined) =>
  key ? Prisma.sql`(${key.repositoryKey}, ${key.environmentKey})` : null;

/**
 * The keys in order, after `from`, as far as the page needs them. Each form walks an index (a
 * skip scan over (repository_key, environment_key, …) or one probe per named repository), so
 * the work follows the number of environments, never of deployments; over every repository the
 * walk stops once the page is full.
 */
function keysSql(scope: Scope, from: EnvironmentKey | undefined, take: number): Prisma.Sql {
  const bound = after(from);
  const environment = scope.environment === undefined ? null : foldName(scope.environment);
  if (scope.repositories && environment !== null) {
    // Every named repository is answered for a named environment, deployed there or not.
    const keys = [...new Set(scope.repositories.map(foldName))];
    return Prisma.sql`
      SELECT r AS repository_key, ${environment}::text AS environment_key
      FROM unnest(ARRAY[${Prisma.join(keys)}]::text[]) AS r
      WHERE ${bound ? Prisma.sql`(r, ${environment}::text) > ${bound}` : Prisma.sql`true`}
      ORDER BY r LIMIT ${take}`;
  }
  if (scope.repositories) {
    return Prisma.sql`
      WITH RECURSIVE keys AS (${keysOf(scope.repositories)})
      SELECT repository_key, environment_key FROM keys
      WHERE environment_key IS NOT NULL ${bound ? Prisma.sql`AND (repository_key, environment_key) > ${bound}` : Prisma.empty}
      ORDER BY repository_key, environment_key LIMIT ${take}`;
  }
  const filter = environment === null ? Prisma.empty : Prisma.sql`WHERE k.environment_key = ${environment}`;
  // Over every repository: the skip scan from the cursor, read only until the page is full.
  return Prisma.sql`
    WITH RECURSIVE keys AS (${allKeysAfter(bound)})
    SELECT k.repository_key, k.environment_key FROM keys k ${filter} LIMIT ${take}`;
}

/**
 * One page of the environments a DORA answer reports, in (repository, environment) key order
 * after `from`: `limit` of them and whether more follow. Each is named as its newest record
 * spells it; a named environment not deployed yet, as the scope names it.
 */
export async function environmentPage(
  prisma: PrismaClient,
  scope: Scope,
  from: EnvironmentKey | undefined,
  limit: number,
): Promise<{ environments: PagedEnvironment[]; more: boolean }> {
  if (scope.repositories?.length === 0) return { environments: [], more: false };
  const rows = await prisma.$queryRaw<Row[]>`
    WITH page AS (${keysSql(scope, from, limit + 1)})
    SELECT p.repository_key, p.environment_key, spelled.repository, spelled.environment
    FROM page p
    LEFT JOIN LATERAL (
      SELECT d.repository, d.environment FROM deployment d
      WHERE d.repository_key = p.repository_key AND d.environment_key = p.environment_key
      ORDER BY d.created_at DESC LIMIT 1) spelled ON true
    ORDER BY p.repository_key, p.environment_key`;
  const named = new Map((scope.repositories ?? []).map((name) => [foldName(name), name]));
  const environments = rows.slice(0, limit).map((row) => ({
    repositoryKey: row.repository_key,
    environmentKey: row.environment_key,
    repository: row.repository ?? named.get(row.repository_key) ?? row.repository_key,
    environment: row.environment ?? scope.environment ?? row.environment_key,
  }));
  return { environments, more: rows.length > limit };
}
