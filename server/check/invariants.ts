import type { PrismaClient } from '../db/generated/client.ts';

export interface Violation {
  invariant: string;
  subject: string;
  detail: string;
}

interface Invariant {
  name: string;
  /** Rows that break the invariant: `subject` names the record(s), `detail` says how. */
  sql: string;
}

// Each check is one read-only SQL query; an empty result means the invariant holds.
const INVARIANTS: Invariant[] = [
  {
    name: 'one record per (repository, environment, key)',
    sql: `SELECT repository || ' ' || environment || ' ' || key AS subject, count(*) || ' records' AS detail
          FROM deployment GROUP BY repository, environment, key HAVING count(*) > 1`,
  },
  {
    name: 'one record per workflow run attempt and environment',
    sql: `SELECT repository || ' ' || environment || ' run ' || run_id || '-' || run_attempt AS subject,
                 count(*) || ' records: ' || string_agg(key, ', ') AS detail
          FROM deployment WHERE run_id IS NOT NULL
          GROUP BY repository, environment, run_id, run_attempt HAVING count(*) > 1`,
  },
  {
    name: 'at most one active deployment per (repository, environment)',
    sql: `SELECT repository || ' ' || environment AS subject, count(*) || ' active: ' || string_agg(key, ', ') AS detail
          FROM deployment WHERE state IN ('pending', 'queued', 'in_progress')
          GROUP BY repository, environment HAVING count(*) > 1`,
  },
  {
    name: 'nothing active past its deadline',
    sql: `SELECT id::text AS subject, state || ' since ' || to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS detail
          FROM deployment WHERE state IN ('pending', 'queued', 'in_progress')
            AND created_at < now() - make_interval(mins => $1)`,
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
            SELECT repository || ' GitHub deployment ' || github_deployment_id AS subject,
                   count(*) || ' records share it' AS detail
            FROM deployment WHERE github_deployment_id IS NOT NULL
            GROUP BY repository, github_deployment_id HAVING count(*) > 1
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
export async function checkInvariants(prisma: PrismaClient, deadlineMinutes = 30): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const invariant of INVARIANTS) {
    const params = invariant.sql.includes('$1') ? [deadlineMinutes] : [];
    const rows = await prisma.$queryRawUnsafe<Array<{ subject: string; detail: string }>>(
      invariant.sql,
      ...params,
    );
    for (const row of rows)
      violations.push({ invariant: invariant.name, subject: row.subject, detail: row.detail });
  }
  return violations;
}

/** The checker's report: one line per invariant, then each violation. */
export function formatReport(violations: Violation[]): string {
  const lines = ['| invariant | result |', '| --- | --- |'];
  for (const name of INVARIANT_NAMES) {
    const broken = violations.filter((violation) => violation.invariant === name).length;
    lines.push(`| ${name} | ${broken === 0 ? 'ok' : `${broken} violation${broken === 1 ? '' : 's'}`} |`);
  }
  if (violations.length > 0) {
    lines.push('', '| invariant | subject | detail |', '| --- | --- | --- |');
    for (const v of violations) lines.push(`| ${v.invariant} | ${v.subject} | ${v.detail} |`);
  }
  lines.push(
    '',
    violations.length === 0 ? 'All invariants hold.' : `${violations.length} violation(s) found.`,
  );
  return lines.join('\n');
}
