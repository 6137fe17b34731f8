import { type DeploymentRecord, foldName, type GithubSyncJob, type KindFacts } from '../ledger/index.ts';
import {
  columnName,
  columnType,
  DECIDED_FIELDS,
  IDENTITY_FIELDS,
  RECORD_SELECT,
} from './deployment-columns.ts';
import { type KindFactsRow, lockedKindFactsSql, toFacts } from './deployment-kind.ts';
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

export type ReadingRow = DeploymentSqlRow & { role: 'key' | 'active' | 'newest' };

// The three reads a create decides on; $1, $2 are the folded names, $3 the key.
const BY_KEY = `SELECT ${RECORD_SELECT}, 'key' AS role FROM deployment
  WHERE repository_key = $1 AND environment_key = $2 AND key = $3`;
const ACTIVE = `(SELECT ${RECORD_SELECT}, 'active' AS role FROM deployment
  WHERE repository_key = $1 AND environment_key = $2 AND state IN (${ACTIVE_STATES_SQL}) LIMIT 1)`;
const NEWEST = `(SELECT ${RECORD_SELECT}, 'newest' AS role FROM deployment
  WHERE repository_key = $1 AND environment_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1)`;

export function toReading(rows: ReadingRow[]): CreateReading {
  const pick = (role: string) => {
    const row = rows.find((candidate) => candidate.role === role);
    return row ? fromSqlRow(row) : null;
  };
  return { byKey: pick('key'), active: pick('active'), newest: pick('newest') };
}

/** Everything a create decides on, in one read: the record under its key, the active one, the newest. */
export async function readForCreate(
  sql: SqlRunner,
  repository: string,
  environment: string,
  key: string,
): Promise<CreateReading> {
  const rows = await sql.query<ReadingRow>(`(${BY_KEY}) UNION ALL ${ACTIVE} UNION ALL ${NEWEST}`, [
    foldName(repository),
    foldName(environment),
    key,
  ]);
  return toReading(rows);
}

/** What openUnlessTaken answers: written, or the reading and the kind facts to decide on again. */
export type OpenOutcome =
  | { written: true; facts: KindFacts }
  | { written: false; reading: CreateReading; facts: KindFacts | null };

/**
 * A create in one round trip: inserts the record the core opened, with its first event and jobs,
 * when what that decision assumed holds — nothing stored under the key, no active record (both
 * the unique indexes' word), the environment's newest record spelled as this request spells it,
 * and the kind facts (`assumed`) as read under the environment's lock. Otherwise it writes nothing
 * and answers the reading to decide on (readForCreate's) and the facts it read. A key already
 * stored (a replay) is answered without taking the environment's lock, and with that record alone
 * (the key's record decides a create before any other); `facts` is then null.
 */
export async function openUnlessTaken(
  sql: SqlRunner,
  record: DeploymentRecord,
  assumed: KindFacts,
  event: TimelineEntry,
  jobs: GithubSyncJob[],
): Promise<OpenOutcome> {
  const fields = [...IDENTITY_FIELDS, ...DECIDED_FIELDS];
  const columns = fields.map(columnName);
  const values = valuesOf(record, fields);
  const first = 7; // $1–$3 the reads' names and key, $4 the lock's name, $5–$6 the assumed facts
  const placeholders = fields.map((field, i) => `$${i + first}::${columnType(field)}`).join(', ');
  const name = (field: (typeof fields)[number]) => `$${first + fields.indexOf(field)}`;
  const rows = await sql.query<ReadingRow & { written: number } & Partial<KindFactsRow>>(
    `WITH present AS (${BY_KEY}),
     facts AS (SELECT * FROM ${lockedKindFactsSql('$4', '$1', '$2', name('sha'))}
               WHERE NOT EXISTS (SELECT 1 FROM present)),
     d AS (INSERT INTO deployment (${columns.join(', ')}) SELECT ${placeholders} FROM facts
           WHERE facts.current_sha IS NOT DISTINCT FROM $5::text AND facts.deployed_before = $6::boolean
             AND NOT EXISTS (SELECT 1 FROM ${NEWEST} n
                             WHERE n.repository <> ${name('repository')} OR n.environment <> ${name('environment')})
           ON CONFLICT DO NOTHING RETURNING id),
     ${followers('d', first + values.length)},
     w AS (SELECT count(*)::int AS written FROM d)
     SELECT w.written, f.current_sha, f.deployed_before, r.* FROM w
       LEFT JOIN facts f ON true
       LEFT JOIN (SELECT * FROM present
                  UNION ALL SELECT * FROM (${ACTIVE} UNION ALL ${NEWEST}) other
                            WHERE NOT EXISTS (SELECT 1 FROM present)) r ON w.written = 0`,
    [
      foldName(record.repository),
      foldName(record.environment),
      record.key,
      environmentLockName(record.repository, record.environment),
      assumed.currentSha,
      assumed.deployedBefore,
      ...values,
      ...followerValues(event, jobs),
    ],
    'deployment_open_unless_taken',
  );
  const [head] = rows;
  const facts = head?.deployed_before == null ? null : toFacts(head as KindFactsRow);
  if (head?.written === 1 && facts) return { written: true, facts };
  return { written: false, reading: toReading(rows.filter((row) => row.role)), facts };
}

/** The record stored under the key (names folded), alone: what answers a replay. */
export async function readByKey(
  sql: SqlRunner,
  repository: string,
  environment: string,
  key: string,
): Promise<VersionedRecord | null> {
  const [row] = await sql.query<ReadingRow>(
    BY_KEY,
    [foldName(repository), foldName(environment), key],
    'deployment_by_key',
  );
  return row ? fromSqlRow(row) : null;
}

export async function readById(sql: SqlRunner, id: string): Promise<VersionedRecord | null> {
  const [row] = await sql.query<DeploymentSqlRow>(
    `SELECT ${RECORD_SELECT} FROM deployment WHERE id = $1`,
    [id],
    'deployment_by_id',
  );
  return row ? fromSqlRow(row) : null;
}

/** A decided record to write over the row it was decided on, with its timeline event and jobs. */
export interface UpdateItem {
  /** The row as read (or recalled): written only if still at this version. */
  read: VersionedRecord;
  record: DeploymentRecord;
  event: TimelineEntry;
  jobs: GithubSyncJob[];
}

/** Writes a decided record if it is still at `version`; false when another writer got there first. */
export async function updateDecided(
  sql: SqlRunner,
  { read, record, event, jobs }: UpdateItem,
): Promise<boolean> {
  const values = valuesOf(record, DECIDED_FIELDS);
  const assignments = DECIDED_FIELDS.map((field, i) => `${columnName(field)} = $${i + 4}`).join(', ');
  const rest = values.length + 4;
  const [row] = await sql.query<{ written: number }>(
    `WITH ${LOCK},
     u AS (UPDATE deployment SET version = version + 1, ${assignments} FROM lock
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
    'deployment_update_decided',
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

/** The parameters `followers` reads, in its order (the event's fields, then the jobs). */
export function followerValues(event: TimelineEntry, jobs: GithubSyncJob[]): unknown[] {
  return [...eventValues(event), jobsJson(jobs)];
}

/** A timeline event's fields as statement parameters, in EVENT_ITEM_PARAMETERS' order. */
export function eventValues(event: TimelineEntry): unknown[] {
  return [
    event.source,
    event.state,
    event.applied,
    event.reason,
    JSON.stringify(event.detail),
    event.occurredAt.toISOString(),
    event.receivedAt.toISOString(),
  ];
}

/** eventValues' parameters as per-item arrays of a batch statement: name, SQL element type. */
export const EVENT_ITEM_PARAMETERS: Array<[string, string]> = [
  ['x_source', 'text'],
  ['x_state', 'text'],
  ['x_applied', 'boolean'],
  ['x_reason', 'text'],
  ['x_detail', 'jsonb'],
  ['x_occurred', 'timestamptz'],
  ['x_received', 'timestamptz'],
];

/** followerValues' parameters as per-item arrays of a batch statement: the event's, then the jobs. */
export const FOLLOWER_ITEM_PARAMETERS: Array<[string, string]> = [
  ...EVENT_ITEM_PARAMETERS,
  ['x_jobs', 'jsonb'],
];
