import { type DeploymentRecord, foldName, type GithubSyncJob, type KindFacts } from '../ledger/index.ts';
import {
  FOLLOWER_ITEM_PARAMETERS,
  followerValues,
  type OpenOutcome,
  type ReadingRow,
  toReading,
} from './conditional-writes.ts';
import {
  columnName,
  columnType,
  DECIDED_FIELDS,
  IDENTITY_FIELDS,
  RECORD_SELECT,
} from './deployment-columns.ts';
import { type KindFactsRow, lockedKindFactsBatchSql, toFacts } from './deployment-kind.ts';
import { ACTIVE_STATES_SQL, type SqlRunner, valuesOf } from './deployment-sql.ts';
import { environmentLockName } from './environment-lock.ts';
import { insertJobsSql } from './outbox.ts';
import type { TimelineEntry } from './timeline.ts';

// Several creates in one statement, so one transaction and one commit (one WAL flush, one round
// trip) carry them all: per create, that is most of what PostgreSQL spends (docs/benchmarks-history.md).
// Each item is openUnlessTaken's statement for one row, with the same conditions; the items are
// sorted by their environment's lock name and take those locks in that order, so two batches
// never wait on each other in a cycle. The items must be for distinct environments: a second one
// for the same environment would decide on facts read before the first was written.

export interface OpenItem {
  record: DeploymentRecord;
  assumed: KindFacts;
  event: TimelineEntry;
  jobs: GithubSyncJob[];
}

const FIELDS = [...IDENTITY_FIELDS, ...DECIDED_FIELDS];
const field = (name: (typeof FIELDS)[number]) => `i.c_${FIELDS.indexOf(name)}`;

// Each item's parameters, in order: name, SQL type.
const ITEM_PARAMETERS: Array<[string, string]> = [
  ['x_rk', 'text'],
  ['x_ek', 'text'],
  ['x_key', 'text'],
  ['x_lock', 'text'],
  ['x_sha', 'text'],
  ['x_deployed', 'boolean'],
  ...FIELDS.map((name, i): [string, string] => [`c_${i}`, columnType(name)]),
  ...FOLLOWER_ITEM_PARAMETERS,
];

const where = (extra = '') =>
  `FROM deployment WHERE repository_key = i.x_rk AND environment_key = i.x_ek ${extra}`;
const readingOf = (role: string, tail: string) =>
  `SELECT i.x_ord, ${RECORD_SELECT}, '${role}' AS role ${tail}`;
// LIMIT 1 (the key is unique) keeps each item's read a probe of the key's index: a subquery
// without it is joined as a whole, and a plan made while the table was small (a new database)
// joined it by scanning the table, a plan the statement then kept as the table grew.
const BY_KEY = readingOf('key', where('AND key = i.x_key LIMIT 1'));
const ACTIVE = `(${readingOf('active', where(`AND state IN (${ACTIVE_STATES_SQL}) LIMIT 1`))})`;
const NEWEST = `(${readingOf('newest', where('ORDER BY created_at DESC, id DESC LIMIT 1'))})`;

// The batch is one parameter: a JSON array of the items, each the array of its parameters in
// ITEM_PARAMETERS' order, sent as the text JSON.stringify makes. As 41 array parameters,
// node-postgres quoted and escaped them element by element in JavaScript: about 5 % of a create's
// CPU and a sixth of its garbage, for the same work on PostgreSQL's side (the casts below are
// the arrays' element parsing). A JSON column's document travels as its text.
const ITEM_COLUMNS = ITEM_PARAMETERS.map(([name, type], i) => `(e.v->>${i})::${type} AS ${name}`).join(', ');
const columns = FIELDS.map(columnName).join(', ');
const values = FIELDS.map(field).join(', ');

const SQL = `WITH items AS (SELECT ${ITEM_COLUMNS}, e.x_ord
                 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, x_ord)),
  present AS (SELECT p.* FROM items i, LATERAL (${BY_KEY}) p),
  facts AS (SELECT f.ord AS x_ord, f.current_sha, f.deployed_before
            FROM ${lockedKindFactsBatchSql('items i WHERE i.x_ord NOT IN (SELECT x_ord FROM present)', {
              ord: 'i.x_ord',
              lockName: 'i.x_lock',
              repository: 'i.x_rk',
              environment: 'i.x_ek',
              sha: field('sha'),
            })} f),
  d AS (INSERT INTO deployment (${columns})
        SELECT ${values} FROM items i JOIN facts f ON f.x_ord = i.x_ord
        WHERE f.current_sha IS NOT DISTINCT FROM i.x_sha AND f.deployed_before = i.x_deployed
          AND NOT EXISTS (SELECT 1 FROM (SELECT repository, environment ${where('ORDER BY created_at DESC, id DESC LIMIT 1')}) n
                          WHERE n.repository <> ${field('repository')} OR n.environment <> ${field('environment')})
        ORDER BY i.x_ord
        ON CONFLICT DO NOTHING RETURNING id),
  e AS (INSERT INTO deployment_event
          (deployment_id, source, state, applied, reason, detail, occurred_at, received_at)
        SELECT d.id, i.x_source, i.x_state, i.x_applied, i.x_reason, i.x_detail, i.x_occurred, i.x_received
        FROM d JOIN items i ON ${field('id')} = d.id ORDER BY i.x_ord),
  o AS (${insertJobsSql('i.x_jobs', { table: `d JOIN items i ON ${field('id')} = d.id`, deploymentIdSql: 'd.id' })})
  SELECT i.x_ord::int AS ord, (d.id IS NOT NULL)::int AS written, f.current_sha, f.deployed_before, r.*
  FROM items i LEFT JOIN d ON d.id = ${field('id')} LEFT JOIN facts f ON f.x_ord = i.x_ord
  LEFT JOIN LATERAL (
    SELECT * FROM present p WHERE p.x_ord = i.x_ord AND d.id IS NULL
    UNION ALL SELECT * FROM (${ACTIVE} UNION ALL ${NEWEST}) other
      WHERE d.id IS NULL AND NOT EXISTS (SELECT 1 FROM present p WHERE p.x_ord = i.x_ord)
  ) r ON true`;

type Row = ReadingRow & { ord: number; written: number } & Partial<KindFactsRow>;

/**
 * openUnlessTaken for several records, each of its own environment, in one statement: each item's
 * outcome, in `items`' order.
 */
export async function openMany(sql: SqlRunner, items: OpenItem[]): Promise<OpenOutcome[]> {
  const entries = items
    .map((item, index) => ({
      item,
      index,
      lock: environmentLockName(item.record.repository, item.record.environment),
    }))
    .sort((a, b) => (a.lock < b.lock ? -1 : a.lock > b.lock ? 1 : 0));
  const columnsOf = entries.map(({ item: { record, assumed, event, jobs }, lock }) =>
    ([] as unknown[]).concat(
      foldName(record.repository),
      foldName(record.environment),
      record.key,
      lock,
      assumed.currentSha,
      assumed.deployedBefore,
      valuesOf(record, FIELDS),
      followerValues(event, jobs),
    ),
  );
  const rows = await sql.query<Row>(SQL, [JSON.stringify(columnsOf)], 'deployment_open_many');
  const byPosition: Row[][] = entries.map(() => []);
  for (const row of rows) byPosition[Number(row.ord) - 1]?.push(row);
  const outcomes: OpenOutcome[] = new Array(items.length);
  entries.forEach(({ index }, position) => {
    outcomes[index] = outcomeOf(byPosition[position] as Row[]);
  });
  return outcomes;
}

function outcomeOf(rows: Row[]): OpenOutcome {
  const [head] = rows;
  const facts = head?.deployed_before == null ? null : toFacts(head as KindFactsRow);
  if (head?.written === 1 && facts) return { written: true, facts };
  return { written: false, reading: toReading(rows.filter((row) => row.role)), facts };
}
