import { type Decision, foldName, type Signal } from '../ledger/index.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';

export type Tx = Prisma.TransactionClient;

// Writes to one environment queue behind its advisory lock; under a burst they wait their turn
// rather than fail, so allow for a long queue.
export const LOCKED_TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

/** The SQL of one environment's advisory lock key (a bigint), given its name's SQL. */
export function environmentLockKeySql(nameSql: string): string {
  return `hashtextextended(${nameSql}, 0)`;
}

/** The SQL that takes one environment's lock until the transaction ends, given its name's SQL. */
export function environmentLockSql(nameSql: string): string {
  return `pg_advisory_xact_lock(${environmentLockKeySql(nameSql)})`;
}

/** The advisory lock name of one (repository, environment), however either is spelled. */
export function environmentLockName(repository: string, environment: string): string {
  return `${foldName(repository)}\n${foldName(environment)}`;
}

// Several environments' locks in one statement, in the order given: callers pass
// lockNamesInOrder's, so two writers holding several never wait on each other in a cycle.
export const LOCK_IN_ORDER_SQL = `SELECT count(${environmentLockSql('name')})::int AS locked
  FROM (SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS l(name, ord) ORDER BY ord) AS names`;

/**
 * Lock names, each once, in the one order every writer that holds several takes them: sorted in
 * JavaScript, not by SQL's ORDER BY, whose order follows the database's collation.
 */
export function lockNamesInOrder(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/**
 * Serializes every write to one (repository, environment) for the rest of the transaction,
 * across connections and server replicas, whatever the spelling of either name. The unique
 * indexes stay the last line of defence.
 */
export async function lockEnvironment(tx: Tx, repository: string, environment: string) {
  const name = environmentLockName(repository, environment);
  await tx.$executeRawUnsafe(`SELECT ${environmentLockSql('$1')}`, name);
}

/** Told of every decision after its transaction commits (logs, metrics, live views). */
export type DecisionListener = (signal: Signal, decision: Decision) => void;

/** The decisions one transaction has stored so far, told to the listener once it commits. */
export type Decided = Array<[Signal, Decision]>;

/**
 * One transaction that holds the environment's lock from its first statement; the decisions
 * `work` records in `decided` are told to `listener` after it commits (never for a rollback).
 */
export async function inLockedTransaction<T>(
  prisma: PrismaClient,
  scope: { repository: string; environment: string },
  work: (tx: Tx, decided: Decided) => Promise<T>,
  listener: DecisionListener = () => {},
): Promise<T> {
  const decided: Decided = [];
  const result = await prisma.$transaction(async (tx) => {
    await lockEnvironment(tx, scope.repository, scope.environment);
    return work(tx, decided);
  }, LOCKED_TX_OPTIONS);
  for (const [signal, decision] of decided) listener(signal, decision);
  return result;
}
