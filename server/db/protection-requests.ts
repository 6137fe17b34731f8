import type { StuckPolicy } from '../ledger/index.ts';
import { ACTIVE_STATES_SQL } from './deployment-sql.ts';
import type { Db } from './deployments.ts';
import { environmentLockName, environmentLockSql, LOCKED_TX_OPTIONS, type Tx } from './environment-lock.ts';
import { Prisma, type PrismaClient } from './generated/client.ts';
import { jobKeptBackByRule, rolloutNotSeenToEnd, supersededByOwnJob } from './superseded-rollouts.ts';

// The deployment protection rule's requests (protection_request): held until what they wait
// for ends, then decided once.

/** One `deployment_protection_rule` request, as GitHub sent it. */
export interface ProtectionRequestInput {
  deliveryId: string;
  repository: string;
  environment: string;
  runId: number;
  callbackUrl: string;
  installationId: number | null;
  githubDeploymentId: number | null;
  sha: string | null;
  requestedAt: Date;
}

export interface HeldRequest extends ProtectionRequestInput {
  id: bigint;
  waitingFor: string | null;
  deadline: Date | null;
  createdAt: Date;
}

export type Verdict = { decision: 'approved' | 'rejected'; reason: string; comment: string };

export async function findRequestByDelivery(prisma: Db, deliveryId: string) {
  return prisma.protectionRequest.findUnique({ where: { deliveryId } });
}

/** Stores a new request, held (waiting for `waitingFor`) or already decided. Throws P2002 when the delivery was handled. */
export async function insertRequest(
  tx: Prisma.TransactionClient,
  input: ProtectionRequestInput,
  outcome: { held: { waitingFor: string; deadline: Date | null } } | { verdict: Verdict },
): Promise<bigint> {
  const row = await tx.protectionRequest.create({
    data: {
      deliveryId: input.deliveryId,
      repository: input.repository,
      environment: input.environment,
      runId: BigInt(input.runId),
      callbackUrl: input.callbackUrl,
      installationId: input.installationId === null ? null : BigInt(input.installationId),
      githubDeploymentId: input.githubDeploymentId === null ? null : BigInt(input.githubDeploymentId),
      sha: input.sha,
      requestedAt: input.requestedAt,
      ...('held' in outcome
        ? { status: 'held', waitingFor: outcome.held.waitingFor, deadline: outcome.held.deadline }
        : { status: 'decided', ...outcome.verdict, decidedAt: new Date() }),
    },
    select: { id: true },
  });
  return row.id;
}

const REQUEST_COLUMNS = {
  repository: Prisma.sql`r.repository`,
  environment: Prisma.sql`r.environment`,
  runId: Prisma.sql`r.run_id`,
  githubDeploymentId: Prisma.sql`r.github_deployment_id`,
};

/**
 * Held requests that can be decided now: what they wait for has ended (or is gone) — a record the
 * job's own deployment superseded only once its rollout ended — or will not roll out (its job is
 * held or was rejected by this rule), or their maximum wait has passed.
 */
export async function findReleasable(
  prisma: PrismaClient,
  limit: number,
  policy: StuckPolicy,
): Promise<HeldRequest[]> {
  const rows = await prisma.$queryRaw<Array<{ id: bigint }>>`
    SELECT r.id FROM protection_request r
    LEFT JOIN deployment d ON d.id = r.waiting_for
    WHERE r.status = 'held'
      AND (d.id IS NULL
           OR (d.state NOT IN (${Prisma.raw(ACTIVE_STATES_SQL)})
               AND NOT (${supersededByOwnJob(REQUEST_COLUMNS)} AND ${rolloutNotSeenToEnd(policy)}))
           OR (d.state IN (${Prisma.raw(ACTIVE_STATES_SQL)}) AND ${jobKeptBackByRule('d')})
           OR r.deadline <= now())
    ORDER BY r.id
    LIMIT ${limit}`;
  if (rows.length === 0) return [];
  const held = await prisma.protectionRequest.findMany({
    where: { id: { in: rows.map((row) => row.id) }, status: 'held' },
    orderBy: { id: 'asc' },
  });
  return held.map((row) => ({
    id: row.id,
    deliveryId: row.deliveryId,
    repository: row.repository,
    environment: row.environment,
    runId: Number(row.runId),
    callbackUrl: row.callbackUrl,
    installationId: row.installationId === null ? null : Number(row.installationId),
    githubDeploymentId: row.githubDeploymentId === null ? null : Number(row.githubDeploymentId),
    sha: row.sha,
    requestedAt: row.requestedAt,
    waitingFor: row.waitingFor,
    deadline: row.deadline,
    createdAt: row.createdAt,
  }));
}

/** Decides a held request; false when another worker (or replica) decided it first. */
export async function decideHeld(
  tx: Prisma.TransactionClient,
  id: bigint,
  verdict: Verdict,
): Promise<boolean> {
  const { count } = await tx.protectionRequest.updateMany({
    where: { id, status: 'held' },
    data: { status: 'decided', ...verdict, decidedAt: new Date() },
  });
  return count === 1;
}

/** Moves a held request on to another active deployment; false when it was decided meanwhile. */
export async function holdFor(
  tx: Prisma.TransactionClient,
  id: bigint,
  waitingFor: string,
): Promise<boolean> {
  const { count } = await tx.protectionRequest.updateMany({
    where: { id, status: 'held' },
    data: { waitingFor },
  });
  return count === 1;
}

/**
 * Runs `work` holding the protection rule's lock on one environment, across replicas: a decision
 * reads the environment's requests and records, and two decided at once could each read the other
 * as still held (two jobs let through together, or out of the order they came). Not the ledger's
 * lock: writes to the environment's records do not wait for the gate. `work` reads and writes on
 * the lock's transaction, one connection a decision, committed with the lock's release.
 */
export async function underProtectionLock<T>(
  prisma: PrismaClient,
  scope: { repository: string; environment: string },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => {
    const name = `protection\n${environmentLockName(scope.repository, scope.environment)}`;
    await tx.$executeRawUnsafe(`SELECT ${environmentLockSql('$1')}`, name);
    return work(tx);
  }, LOCKED_TX_OPTIONS);
}
