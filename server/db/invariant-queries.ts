import { ACTIVE_STATES_SQL } from './deployment-sql.ts';
import type { PrismaClient } from './generated/client.ts';

export interface Violation {
  invariant: string;
  subject: string;
  detail: string;
}

interface Invariant {
  name: string;
  /** Rows that break the invariant: `subject` names the record(s), `detail` says how. */
  sql: string;
  /** A column the query needs; on a database not yet migrated that far the invariant is skipped. */
  needsColumn?: string;
  /** Takes the deadlines ($1–$3). */
  deadlines?: true;
}

/** How long a record may stay active: by default, and per environment name folded (foldName). */
export interface Deadlines {
  defaultSeconds: number;
  byEnvironment: Record<string, number>;
}

// Names compare as GitHub compares them, case-insensitively: the same fold as the generated
// `repository_key`/`environment_key` columns, written out so the checker also reads a database
// whose migrations are pending (one that `deployledger repair` has still to fold).
const REPOSITORY = `lower(repository COLLATE "C")`;
const ENVIRONMENT = `lower(environment COLLATE "C")`;
/** The spellings in a group, when they differ: "acme/shop prod" or "Acme/Shop prod | acme/shop prod". */
const SPELLINGS = `string_agg(DISTINCT repository || ' ' || environment, ' | ')`;

// Each check is one read-only SQL query; an empty result means the invariant holds.
const INVARIANTS: Invariant[] = [
  {
    name: 'one record per (repository, environment, key)',
    sql: `SELECT ${SPELLINGS} || ' ' || key AS subject, count(*) || ' records' AS detail
          FROM deployment GROUP BY ${REPOSITORY}, ${ENVIRONMENT}, key HAVING count(*) > 1`,
  },
  {
    name: 'one record per workflow run attempt and environment',
    sql: `SELECT ${SPELLINGS} || ' run ' || run_id || '-' || run_attempt AS subject,
                 count(*) || ' records: ' || string_agg(key, ', ') AS detail
          FROM deployment WHERE run_id IS NOT NULL
          GROUP BY ${REPOSITORY}, ${ENVIRONMENT}, run_id, run_attempt HAVING count(*) > 1`,
  },
  {
    name: 'at most one active deployment per (repository, environment)',
    sql: `SELECT ${SPELLINGS} AS subject, count(*) || ' active: ' || string_agg(key, ', ') AS detail
          FROM deployment WHERE state IN (${ACTIVE_STATES_SQL})
          GROUP BY ${REPOSITORY}, ${ENVIRONMENT} HAVING count(*) > 1`,
  },
  {
    name: 'one name per GitHub repository id',
    needsColumn: 'repository_id',
    sql: `SELECT 'repository id ' || repository_id AS subject,
                 count(DISTINCT ${REPOSITORY}) || ' names: ' || string_agg(DISTINCT repository, ', ') AS detail
          FROM deployment WHERE repository_id IS NOT NULL
          GROUP BY repository_id HAVING count(DISTINCT ${REPOSITORY}) > 1`,
  },
  {
    name: 'nothing active past its deadline',
    // $1 the default deadline in seconds; $2, $3 the environments (folded) with their own.
    sql: `SELECT id::text AS subject, state || ' since ' || to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS detail
          FROM deployment WHERE state IN (${ACTIVE_STATES_SQL})
            AND created_at < now() - make_interval(secs => COALESCE(
              (SELECT p.seconds FROM unnest($2::text[], $3::float8[]) AS p(environment_key, seconds)
               WHERE p.environment_key = ${ENVIRONMENT}), $1::float8))`,
    deadlines: true,
  },
  {
    name: 'deployed_at on every success',
    sql: `SELECT id::text AS subject, 'success without deployed_at' AS detail
          FROM deployment WHERE state = 'success' AND deployed_at IS NULL`,
  },
  {
    name: "state equals the fold of the record's applied timeline",
    sql: `SELECT d.id::text AS subject, 'state ' || d.state || ', timeline says ' || coalesce(last.state, 'nothing') AS detail
          FROM deployment d
          LEFT JOIN LATERAL (
            SELECT e.state FROM deployment_event e
            WHERE e.deployment_id = d.id AND e.applied AND e.state IS NOT NULL
            ORDER BY e.id DESC LIMIT 1) last ON true
          WHERE last.state IS DISTINCT FROM d.state`,
  },
  {
    name: 'at most one GitHub deployment per record',
    sql: `SELECT subject, detail FROM (
            SELECT min(repository) || ' GitHub deployment ' || github_deployment_id AS subject,
                   count(*) || ' records share it' AS detail
            FROM deployment WHERE github_deployment_id IS NOT NULL
            GROUP BY ${REPOSITORY}, github_deployment_id HAVING count(*) > 1
            UNION ALL
            SELECT deployment_id::text, count(*) || ' GitHub deployments created'
            FROM deployment_event WHERE source = 'github' AND reason = 'github_deployment_created'
            GROUP BY deployment_id HAVING count(*) > 1) v`,
  },
  {
    name: 'no duplicate metric sample',
    sql: `SELECT deployment_id::text || ' ' || phase || ' ' || name AS subject, count(*) || ' samples at one time' AS detail
          FROM metric_sample GROUP BY deployment_id, phase, collected_at, name HAVING count(*) > 1`,
  },
];

export const INVARIANT_NAMES = INVARIANTS.map((invariant) => invariant.name);

/** Reads the whole ledger and lists every broken invariant (read-only). */
export async function checkInvariants(prisma: PrismaClient, deadlines: Deadlines): Promise<Violation[]> {
  const violations: Violation[] = [];
  const columns = await deploymentColumns(prisma);
  const byEnvironment = Object.entries(deadlines.byEnvironment);
  for (const invariant of INVARIANTS) {
    if (invariant.needsColumn && !columns.has(invariant.needsColumn)) continue;
    const params = invariant.deadlines
      ? [
          deadlines.defaultSeconds,
          byEnvironment.map(([name]) => name),
          byEnvironment.map(([, seconds]) => seconds),
        ]
      : [];
    const rows = await prisma.$queryRawUnsafe<Array<{ subject: string; detail: string }>>(
      invariant.sql,
      ...params,
    );
    for (const row of rows)
      violations.push({ invariant: invariant.name, subject: row.subject, detail: row.detail });
  }
  return violations;
}

async function deploymentColumns(prisma: PrismaClient): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<Array<{ column_name: string }>>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'deployment'`;
  return new Set(rows.map((row) => row.column_name));
}

/** Whether the ledger's `deployment` table exists in the database (`deployledger check`). */
export async function ledgerTablePresent(prisma: PrismaClient): Promise<boolean> {
  const [row] = await prisma.$queryRaw<Array<{ present: boolean }>>`
    SELECT to_regclass('public.deployment') IS NOT NULL AS present`;
  return row?.present === true;
}
