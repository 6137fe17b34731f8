import { foldName } from '../ledger/index.ts';
import type { PrismaClient } from './generated/client.ts';
import { respellRepository, type SeenNames } from './repository-names.ts';

// For each spelling a batch of deliveries saw: the environment's newest record (unless it is
// another GitHub repository's) and, with GitHub's id, the repository's newest record. A spelling
// needs respelling when either shows other names or the environment's lacks the id. Each side is
// one probe of an index (identity history, repository id).
export const STALE_NAMES_SQL = `SELECT s.i FROM jsonb_to_recordset($1::jsonb) AS s(i int, repository text, environment text,
    rk text, ek text, repository_id bigint)
  LEFT JOIN LATERAL (SELECT repository, environment, repository_id FROM deployment d
    WHERE d.repository_key = s.rk AND d.environment_key = s.ek
    ORDER BY created_at DESC, id DESC LIMIT 1) l ON true
  LEFT JOIN LATERAL (SELECT repository FROM deployment d
    WHERE s.repository_id IS NOT NULL AND d.repository_id = s.repository_id
    ORDER BY created_at DESC, id DESC LIMIT 1) r ON true
  WHERE (l.repository IS NOT NULL
      AND (s.repository_id IS NULL OR l.repository_id IS NULL OR l.repository_id = s.repository_id)
      AND (l.repository <> s.repository OR l.environment <> s.environment
           OR (s.repository_id IS NOT NULL AND l.repository_id IS NULL)))
    OR (r.repository IS NOT NULL AND r.repository <> s.repository)`;

/**
 * GitHub's spelling and id first, as LedgerStore.applyDelivery does for each delivery, for every
 * (repository, environment) a batch of deliveries names: one statement finds the few whose
 * records show other names, and only those go through respellRepository. Respelling is rare.
 */
export async function respellDelivered(
  prisma: PrismaClient,
  seen: Array<Required<Pick<SeenNames, 'repository' | 'environment'>> & SeenNames>,
): Promise<void> {
  if (seen.length === 0) return;
  const rows = await prisma.$queryRawUnsafe<Array<{ i: number }>>(
    STALE_NAMES_SQL,
    JSON.stringify(
      seen.map((s, i) => ({
        i,
        repository: s.repository,
        environment: s.environment,
        rk: foldName(s.repository),
        ek: foldName(s.environment),
        repository_id: s.repositoryId ?? null,
      })),
    ),
  );
  for (const { i } of rows) await respellRepository(prisma, seen[i] as SeenNames);
}
