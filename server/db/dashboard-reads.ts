import type { DeploymentRecord, State } from '../ledger/index.ts';
import { foldName, isActive } from '../ledger/index.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { ACTIVE_STATES_SQL } from './deployment-sql.ts';
import { environmentWhere } from './deployments.ts';
import { allKeysAfter, distinctRepositories, keysOf } from './distinct.ts';
import { type Deployment, Prisma, type PrismaClient } from './generated/client.ts';
import { sqlOf } from './postgres-pool.ts';
import { toRecord } from './records.ts';

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
  // without reading its history; then each one's active record (partial unique index) or else
  // its latest, each read whole from its index probe. The work
  // grows with the number of environments, not of deployments.
  // One statement, through the pool when there is one: Prisma's model decoding of ~40 columns
  // for every environment cost more than the query. Over every repository its text never
  // changes: prepared once per connection, it is not planned again for every page.
  const query = Prisma.sql`
    WITH RECURSIVE keys AS (${repositories ? keysOf(repositories) : allKeysAfter(null)})
    SELECT current.* FROM keys k
    CROSS JOIN LATERAL (
      SELECT ${Prisma.raw(RECORD_SELECT)} FROM (
        (SELECT d.*, 0 AS pick FROM deployment d
         WHERE d.repository_key = k.repository_key AND d.environment_key = k.environment_key
           AND d.state IN (${Prisma.raw(ACTIVE_STATES_SQL)})
         LIMIT 1)
        UNION ALL
        (SELECT d.*, 1 AS pick FROM deployment d
         WHERE d.repository_key = k.repository_key AND d.environment_key = k.environment_key
         ORDER BY d.created_at DESC, d.id DESC
         LIMIT 1)
        -- The active record when there is one: said, not left to the order the Append runs in.
        ORDER BY pick LIMIT 1) d) current
    WHERE k.environment_key IS NOT NULL`;
  const sql = sqlOf(prisma);
  const rows = sql
    ? await sql.query<Deployment>(
        query.text,
        query.values,
        repositories ? undefined : 'dashboard_current_per_environment',
      )
    : await prisma.$queryRaw<Deployment[]>(query);
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

/** What the strip shows: every deployment, or the latest of each slot when there are more. */
export interface Strip {
  marks: StripMark[];
  /** Set when the marks are one per slot of this many: a busy environment's strip. */
  slots: number | null;
}

// The strip has 180 slots (half a day each over 90 days): up to that many deployments each get
// their own mark; beyond that, each slot shows its latest deployment. A page then draws at most
// 180 marks whatever the history, so it costs what it shows.
export const STRIP_SLOTS = 180;

/** One statement through the pool when there is one (Prisma decodes rows several times slower). */
function rows<T>(prisma: PrismaClient, query: Prisma.Sql): Promise<T[]> {
  const sql = sqlOf(prisma);
  return sql ? sql.query<T>(query.text, query.values) : prisma.$queryRaw<T[]>(query);
}

type MarkRow = { id: string; state: string; created_at: Date; slotted: boolean };
const toMark = (row: MarkRow): StripMark => ({
  id: row.id,
  state: row.state as State,
  createdAt: row.created_at,
});

/**
 * An environment's deployments since `since`, as the strip shows them, oldest first: every one
 * when there are at most STRIP_SLOTS; otherwise the latest deployment of each of STRIP_SLOTS
 * equal slots up to `until` (the last one open-ended), one index probe per slot. Either way the
 * cost is bounded by the strip's slots, whatever the history's size (at 4 000 000 deployments an
 * environment has thousands in 90 days, more than the strip can show apart). One statement: which
 * of the two a strip is, PostgreSQL finds on the way (a busy environment's first STRIP_SLOTS + 1
 * rows are read there, not sent and decoded to be dropped).
 */
export async function stripMarks(
  prisma: PrismaClient,
  repository: string,
  environment: string,
  since: Date,
  until: Date = new Date(),
): Promise<Strip> {
  const { repositoryKey, environmentKey } = environmentWhere(repository, environment);
  const slotMs = (until.getTime() - since.getTime()) / STRIP_SLOTS;
  const marks = await rows<MarkRow>(
    prisma,
    Prisma.sql`
      WITH recent AS (
        SELECT d.id, d.state, d.created_at FROM deployment d
        WHERE d.repository_key = ${repositoryKey} AND d.environment_key = ${environmentKey}
          AND d.created_at >= ${since}::timestamptz
        ORDER BY d.created_at DESC, d.id DESC LIMIT ${STRIP_SLOTS + 1}),
      busy AS (SELECT count(*) > ${STRIP_SLOTS}::int AS yes FROM recent)
      SELECT r.id, r.state, r.created_at, false AS slotted FROM recent r WHERE NOT (SELECT yes FROM busy)
      UNION ALL
      SELECT m.id, m.state, m.created_at, true
      FROM generate_series(0, ${STRIP_SLOTS - 1}::int) AS slot(i)
      CROSS JOIN LATERAL (
        SELECT d.id, d.state, d.created_at FROM deployment d
        WHERE d.repository_key = ${repositoryKey} AND d.environment_key = ${environmentKey}
          AND d.created_at >= ${since}::timestamptz + slot.i * ${slotMs}::float8 * interval '1 millisecond'
          AND d.created_at < CASE WHEN slot.i = ${STRIP_SLOTS - 1}::int THEN 'infinity'::timestamptz
            ELSE ${since}::timestamptz + (slot.i + 1) * ${slotMs}::float8 * interval '1 millisecond' END
        ORDER BY d.created_at DESC
        LIMIT 1) m
      WHERE (SELECT yes FROM busy)
      ORDER BY created_at, id`,
  );
  return { marks: marks.map(toMark), slots: marks[0]?.slotted ? STRIP_SLOTS : null };
}
