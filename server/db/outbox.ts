import type { Prisma, PrismaClient } from './generated/client.ts';

export type OutboxKind =
  | 'github.create_deployment'
  | 'github.create_status'
  | 'github.retire_deployment'
  | 'github.review_protection';

export interface OutboxJob {
  id: bigint;
  deploymentId: string | null;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface NewOutboxJob {
  deploymentId: string | null;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  dedupeKey: string;
}

/**
 * The one statement that adds jobs: `jobsParam` is a JSON array of jobs (`jobsJson`), added in
 * its order (the outbox calls GitHub for one deployment in id order); a job whose dedupe key is
 * taken is added once. `deploymentIdSql` is the column to take the deployment from when the
 * statement writes the deployment too (a CTE's id), else the job's own `deployment_id`.
 */
export function insertJobsSql(jobsParam: string, from?: { table: string; deploymentIdSql: string }): string {
  const deploymentId = from ? from.deploymentIdSql : 'j.deployment_id';
  return `INSERT INTO outbox_job (deployment_id, kind, payload, dedupe_key)
    SELECT ${deploymentId}, j.kind, j.payload, j.dedupe_key
    FROM ${from ? `${from.table}, ` : ''}ROWS FROM (jsonb_to_recordset(${jobsParam}::jsonb)
      AS (deployment_id uuid, kind text, payload jsonb, dedupe_key text))
      WITH ORDINALITY AS j(deployment_id, kind, payload, dedupe_key, ord)
    ORDER BY j.ord
    ON CONFLICT (dedupe_key) DO NOTHING`;
}

/** The parameter `insertJobsSql` reads. */
export function jobsJson(
  jobs: Array<Omit<NewOutboxJob, 'deploymentId'> & { deploymentId?: string | null }>,
): string {
  return JSON.stringify(
    jobs.map((job) => ({
      deployment_id: job.deploymentId ?? null,
      kind: job.kind,
      payload: job.payload,
      dedupe_key: job.dedupeKey,
    })),
  );
}

/** Adds jobs in the caller's transaction. */
export async function enqueue(tx: Prisma.TransactionClient, ...jobs: NewOutboxJob[]): Promise<void> {
  if (jobs.length) await tx.$executeRawUnsafe(insertJobsSql('$1'), jobsJson(jobs));
}

/**
 * Claims due jobs for `leaseMs` in one statement. Only the oldest open job of each deployment
 * is eligible, so a deployment's calls to GitHub happen in order (create, then each status).
 */
export async function claimJobs(prisma: PrismaClient, worker: string, limit: number, leaseMs: number) {
  const rows = await prisma.$queryRaw<
    Array<{
      id: bigint;
      deployment_id: string | null;
      kind: OutboxKind;
      payload: Record<string, unknown>;
      attempts: number;
    }>
  >`
    UPDATE outbox_job SET locked_by = ${worker}, locked_at = now(), attempts = attempts + 1,
      run_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT j.id FROM outbox_job j
      WHERE j.done_at IS NULL AND j.run_at <= now()
        AND NOT EXISTS (
          SELECT 1 FROM outbox_job earlier
          WHERE earlier.deployment_id = j.deployment_id AND earlier.done_at IS NULL AND earlier.id < j.id)
      ORDER BY j.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, deployment_id, kind, payload, attempts`;
  return rows.map(
    (row): OutboxJob => ({
      id: row.id,
      deploymentId: row.deployment_id,
      kind: row.kind,
      payload: row.payload,
      attempts: row.attempts,
    }),
  );
}

export async function completeJob(prisma: PrismaClient, id: bigint): Promise<void> {
  await prisma.outboxJob.update({
    where: { id },
    data: { doneAt: new Date(), lockedBy: null, lastError: null },
  });
}

/** Puts a job back for another attempt at `runAt`. */
export async function retryJob(prisma: PrismaClient, id: bigint, error: string, runAt: Date): Promise<void> {
  await prisma.outboxJob.update({
    where: { id },
    data: { lockedBy: null, lastError: error.slice(0, 2000), runAt },
  });
}

/** Hands claimed jobs back at shutdown, so another replica takes them at once. */
export async function releaseJobs(prisma: PrismaClient, worker: string): Promise<void> {
  await prisma.outboxJob.updateMany({
    where: { lockedBy: worker, doneAt: null },
    data: { lockedBy: null, runAt: new Date() },
  });
}
