import { type DeploymentRecord, foldName, type GithubSyncJob } from '../ledger/index.ts';
import {
  columnName,
  columnType,
  DECIDED_FIELDS,
  IDENTITY_FIELDS,
  RECORD_SELECT,
} from './deployment-columns.ts';
import {
  ACTIVE_STATES_SQL,
  type DeploymentSqlRow,
  fromSqlRow,
  type SqlRunner,
  type VersionedRecord,
  valuesOf,
} from './deployment-sql.ts';
import { environmentLockName, environmentLockSql } from './environment-lock.ts';
import { insertJobsSql, jobsJson } from './outbox.ts';
import type { TimelineEntry } from './timeline.ts';

// One statement per write, each its own transaction: the decided row, its timeline event and its
// outbox jobs commit together or not at all. The statement takes the environment's advisory lock
// first, so it waits for a writer holding it (LedgerStore's locked path) and never writes in the
// middle of that writer's read-decide-write; the row version catches a writer that read first.

const LOCK = `lock AS (SELECT ${environmentLockSql('$1')})`;

export interface CreateReading {
  byKey: VersionedRecord | null;
  active: VersionedRecord | null;
  /** The environment's newest record: does it show the names as this request spells them? */
  newest: VersionedRecord | null;
}

/** Everything a create decides on, in one read: the record under its key, the active one, the newest. */
export async function readForCreate(
  sql: SqlRunner,
  repository: string,
  environment: string,
  key: string,
): Promise<CreateReading> {
  const rows = await sql.query<DeploymentSqlRow & { role: 'key' | 'active' | 'newest' }>(
    `(SELECT ${RECORD_SELECT}, 'key' AS role FROM deployment
       WHERE repository_key = $1 AND environment_key = $2 AND key = $3)
     UNION ALL
     (SELECT ${RECORD_SELECT}, 'active' AS role FROM deployment
       WHERE repository_key = $1 AND environment_key = $2 AND state IN (${ACTIVE_STATES_SQL}) LIMIT 1)
     UNION ALL
     (SELECT ${RECORD_SELECT}, 'newest' AS role FROM deployment
       WHERE repository_key = $1 AND environment_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1)`,
    [foldName(repository), foldName(environment), key],
  );
  const pick = (role: string) => {
    const row = rows.find((candidate) => candidate.role === role);
    return row ? fromSqlRow(row) : null;
  };
  return { byKey: pick('key'), active: pick('active'), newest: pick('newest') };
}

export async function readById(sql: SqlRunner, id: string): Promise<VersionedRecord | null> {
  const [row] = await sql.query<DeploymentSqlRow>(`SELECT ${RECORD_SELECT} FROM deployment WHERE id = $1`, [
    id,
  ]);
  return row ? fromSqlRow(row) : null;
}

/**
 * Inserts an opened record with its first event and jobs. False when a unique index refused it
 * (the key was taken, or another deployment became active): the caller decides again.
 */
export async function insertOpened(
  sql: SqlRunner,
  record: DeploymentRecord,
  event: TimelineEntry,
  jobs: GithubSyncJob[],
): Promise<boolean> {
  const fields = [...IDENTITY_FIELDS, ...DECIDED_FIELDS];
  const columns = fields.map(columnName);
  const values = valuesOf(record, fields);
  const placeholders = fields.map((field, i) => `$${i + 2}::${columnType(field)}`).join(', ');
  const rest = values.length + 2;
  const [row] = await sql.query<{ written: number }>(
    `WITH ${LOCK},
     d AS (INSERT INTO deployment (${columns.join(', ')}) SELECT ${placeholders} FROM lock
           ON CONFLICT DO NOTHING RETURNING id),
     ${followers('d', rest)}
     SELECT count(*)::int AS written FROM d`,
    [environmentLockName(record.repository, record.environment), ...values, ...followerValues(event, jobs)],
  );
  return row?.written === 1;
}

/** Writes a decided record if it is still at `version`; false when another writer got there first. */
export async function updateDecided(
  sql: SqlRunner,
  read: VersionedRecord,
  record: DeploymentRecord,
  event: TimelineEntry,
  jobs: GithubSyncJob[],
): Promise<boolean> {
  const values = valuesOf(record, DECIDED_FIELDS);
  const assignments = DECIDED_FIELDS.map((field, i) => `${columnName(field)} = $${i + 4}`).join(', ');
  const rest = values.length + 4;
  const [row] = await sql.query<{ written: number }>(
    `WITH ${LOCK},
     u AS (UPDATE deployment SET ${assignments} FROM lock
           WHERE id = $2 AND version = $3 RETURNING id),
     ${followers('u', rest)}
     SELECT count(*)::int AS written FROM u`,
    [
      environmentLockName(read.record.repository, read.record.environment),
      read.record.id,
      read.version,
      ...values,
      ...followerValues(event, jobs),
    ],
  );
  return row?.written === 1;
}

/** The event and outbox inserts that follow the written row (`from` yields its id, or nothing). */
function followers(from: string, first: number): string {
  const p = (offset: number) => `$${first + offset}`;
  return `e AS (INSERT INTO deployment_event
                  (deployment_id, source, state, applied, reason, detail, occurred_at, received_at)
                SELECT id, ${p(0)}::text, ${p(1)}::text, ${p(2)}::boolean, ${p(3)}::text, ${p(4)}::jsonb,
                       ${p(5)}::timestamptz, ${p(6)}::timestamptz FROM ${from}),
     o AS (${insertJobsSql(p(7), { table: from, deploymentIdSql: `${from}.id` })})`;
}

function followerValues(event: TimelineEntry, jobs: GithubSyncJob[]): unknown[] {
  return [
    event.source,
    event.state,
    event.applied,
    event.reason,
    JSON.stringify(event.detail),
    event.occurredAt,
    event.receivedAt,
    jobsJson(jobs),
  ];
}
