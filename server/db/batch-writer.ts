import {
  type Decision,
  type DeploymentRecord,
  foldName,
  type GithubSyncJob,
  type Signal,
} from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import {
  ACTIVE_STATES_SQL,
  type DeploymentSqlRow,
  fromSqlRow,
  type InTransaction,
  type SqlRunner,
} from './deployment-sql.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import { environmentLockName, LOCK_IN_ORDER_SQL, lockNamesInOrder } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';
import { insertJobsSql, jobsJson } from './outbox.ts';
import { transactionsOf } from './postgres-pool.ts';

/**
 * On node-postgres, over the client's pool (openPool's; both databases): a batch is a few
 * statements, and Prisma's per-query work cost the server more CPU than they cost PostgreSQL.
 */
function transactions(prisma: PrismaClient): InTransaction {
  const inTransaction = transactionsOf(prisma);
  if (!inTransaction) throw new Error('the batch writer needs a client made by openPool');
  return inTransaction;
}

// Fresh under the locks: the records asked for by id, key or GitHub id, and each environment's
// records a signal can still change (its active record; its successes, which auto-inactive
// retires). One branch per index (the one-active, success and key indexes), so none scans. A key
// comes with its environment, one probe of the key index each: every environment's keys against
// every environment was a join the planner answered with a scan of the table (20–45 ms a batch of
// 50 environments at 40 000 records; docs/benchmarks-history.md).
const ENVIRONMENTS =
  'unnest($2::text[], $3::text[]) AS e(rk, ek) JOIN deployment d ON d.repository_key = e.rk AND d.environment_key = e.ek';
export const BATCH_READ_SQL = `SELECT ${RECORD_SELECT} FROM deployment WHERE id IN (
    SELECT id FROM deployment WHERE id = ANY($1::uuid[])
    UNION ALL SELECT d.id FROM ${ENVIRONMENTS} AND d.state IN (${ACTIVE_STATES_SQL})
    UNION ALL SELECT d.id FROM ${ENVIRONMENTS} AND d.state = 'success'
    UNION ALL SELECT d.id FROM unnest($4::text[], $5::text[], $6::text[]) AS k(rk, ek, key)
      JOIN deployment d ON d.repository_key = k.rk AND d.environment_key = k.ek AND d.key = k.key
    UNION ALL SELECT id FROM deployment
      WHERE github_deployment_id = ANY($7::bigint[]) AND repository_key = ANY($8::text[]))`;

export interface Environment {
  repository: string;
  environment: string;
}

/** What a batch locks and reads; records read outside the locked environments are only looked at. */
export interface BatchScope {
  environments: Environment[];
  ids?: string[];
  /** Keys of records, each in its (locked) environment. */
  keys?: Array<Environment & { key: string }>;
  githubIds?: Array<{ repository: string; githubDeploymentId: number }>;
  /** Shas the batch may open records for, by environment: which reached success before decides their kind. */
  opening?: Array<Environment & { sha: string }>;
}

/** The locked environments' ledgers in memory, for the caller to decide signals through. */
export interface LockedLedgers {
  /** The ledger of a locked environment. */
  of(environment: Environment): EnvironmentBatch;
  /** A record read, in whichever environment it is (null when none was read). */
  read(id: string): DeploymentRecord | null;
  /** The records read that belong to none of the locked environments. */
  outside: DeploymentRecord[];
  /** Every record read, whichever environment it is in. */
  all: DeploymentRecord[];
}

/**
 * The one writer of batches: decides many signals, for records of many environments, in one
 * transaction of a few statements. It takes every environment's lock (in sorted order), reads
 * the records once, lets `decide` run the core over them in memory (EnvironmentBatch, exactly as
 * LedgerStore decides one, auto-inactive included), then writes the changed and opened records
 * with their timeline (bulk-write.ts), the GitHub calls `jobsOf` says each decision needs
 * (outbox.ts), and `alsoWrite`'s statements. Throwing in `decide` writes nothing. The decisions come back, in
 * order, to be told once the transaction committed.
 */
export async function writeInBatch<T>(
  prisma: PrismaClient,
  scope: BatchScope,
  decide: (ledgers: LockedLedgers) => T | Promise<T>,
  options: {
    jobsOf: (decision: Decision) => GithubSyncJob[];
    alsoWrite?: (sql: SqlRunner) => Promise<unknown>;
  },
): Promise<{ result: T; decisions: Array<[Signal, Decision]> }> {
  const decisions: Array<[Signal, Decision]> = [];
  const result = await transactions(prisma)(async (tx) => {
    const locked = new Map(scope.environments.map((e) => [lockName(e), e]));
    // Every environment's lock, in the one order every writer holding several takes them.
    await tx.query(LOCK_IN_ORDER_SQL, [lockNamesInOrder(locked.keys())]);
    const keys = scope.keys ?? [];
    const rows = await tx.query<DeploymentSqlRow>(BATCH_READ_SQL, [
      scope.ids ?? [],
      [...locked.values()].map((e) => foldName(e.repository)),
      [...locked.values()].map((e) => foldName(e.environment)),
      keys.map((k) => foldName(k.repository)),
      keys.map((k) => foldName(k.environment)),
      keys.map((k) => k.key),
      (scope.githubIds ?? []).map((g) => String(g.githubDeploymentId)),
      (scope.githubIds ?? []).map((g) => foldName(g.repository)),
    ]);
    const read = new Map<string, DeploymentRecord>();
    const byEnvironment = new Map<string, DeploymentRecord[]>();
    const outside: DeploymentRecord[] = [];
    for (const row of rows) {
      const { record } = fromSqlRow(row);
      read.set(record.id, record);
      const name = lockName(record);
      if (locked.has(name)) byEnvironment.set(name, [...(byEnvironment.get(name) ?? []), record]);
      else outside.push(record);
    }
    const jobs: Array<GithubSyncJob & { deploymentId: string }> = [];
    const batches = new Map<string, EnvironmentBatch>();
    const deployedShas = await readDeployedShas(tx, scope.opening ?? []);
    const now = new Date();
    const of = (environment: Environment) => {
      const name = lockName(environment);
      if (!locked.has(name)) throw new Error(`${name.replace('\n', '/')} is not locked by this batch`);
      let batch = batches.get(name);
      if (!batch) {
        const stored = byEnvironment.get(name) ?? [];
        batch = new EnvironmentBatch(
          stored,
          stored.map((r) => r.key),
          deployedShas.get(name) ?? [],
          now,
          (_before, signal, decision) => {
            decisions.push([signal, decision]);
            for (const job of options.jobsOf(decision))
              jobs.push({ ...job, deploymentId: decision.record.id });
          },
        );
        batches.set(name, batch);
      }
      return batch;
    };
    const result = await decide({ of, read: (id) => read.get(id) ?? null, outside, all: [...read.values()] });
    await writeBatch(tx, merged([...batches.values()]));
    if (jobs.length) await tx.query(insertJobsSql('$1'), [jobsJson(jobs)]);
    await options.alsoWrite?.(tx);
    return result;
  });
  return { result, decisions };
}

// Which of the shas a batch may open reached success in their environment before (the probe
// deployment-kind.ts makes for one environment, here for every environment of a batch at once:
// each row a probe of the sha-deployed index).
const DEPLOYED_SQL = `SELECT DISTINCT o.rk || chr(10) || o.ek AS name, o.sha
  FROM unnest($1::text[], $2::text[], $3::text[]) AS o(rk, ek, sha)
  WHERE EXISTS (SELECT 1 FROM deployment d WHERE d.repository_key = o.rk AND d.environment_key = o.ek
    AND lower(d.sha) = o.sha AND d.deployed_at IS NOT NULL)`;

/** Of the shas a batch may open, those (lowered) that reached success before, by lock name. */
async function readDeployedShas(tx: SqlRunner, opening: Array<Environment & { sha: string }>) {
  const byName = new Map<string, Set<string>>();
  const probes = new Map(opening.map((o) => [`${lockName(o)}\n${o.sha.toLowerCase()}`, o]));
  if (probes.size === 0) return byName;
  const list = [...probes.values()];
  const rows = await tx.query<{ name: string; sha: string }>(DEPLOYED_SQL, [
    list.map((o) => foldName(o.repository)),
    list.map((o) => foldName(o.environment)),
    list.map((o) => o.sha.toLowerCase()),
  ]);
  for (const { name, sha } of rows) byName.set(name, (byName.get(name) ?? new Set()).add(sha));
  return byName;
}

function lockName(e: Environment): string {
  return environmentLockName(e.repository, e.environment);
}

/** The batches' changes as one, for one write. */
function merged(batches: EnvironmentBatch[]): Parameters<typeof writeBatch>[1] {
  return {
    records: new Map(batches.flatMap((batch) => [...batch.records])),
    changed: new Set(batches.flatMap((batch) => [...batch.changed])),
    opened: batches.flatMap((batch) => batch.opened),
    events: batches.flatMap((batch) => batch.events),
  };
}
