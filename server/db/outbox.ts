import type { SqlRunner } from './deployment-sql.ts';
import type { Prisma } from './generated/client.ts';
import { type ClaimOptions, claim, type QueueTable } from './queue.ts';

export type OutboxKind =
  | 'github.create_deployment'
  | 'github.create_status'
  | 'github.compare_kind'
  | 'github.retire_deployment'
  | 'github.review_protection';

export interface OutboxJob {
  id: bigint;
  deploymentId: string | null;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  attempts: number;
  /** When it was queued. */
  createdAt: Date;
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
 * The outbox as a queue (queue.ts), claimed in id order. Only the oldest open job of each
 * deployment is eligible, so a deployment's calls to GitHub happen in order (create, then each
 * status); a job whose deployment has an earlier open job waits even when that one is leased.
 */
export const OUTBOX: QueueTable = {
  table: 'outbox_job',
  id: 'id',
  idType: 'bigint',
  order: 'id',
  eligible: `NOT EXISTS (
    SELECT 1 FROM outbox_job earlier
    WHERE earlier.deployment_id = q.deployment_id AND earlier.done_at IS NULL AND earlier.id < q.id)`,
  returning: 'id, deployment_id, kind, payload, attempts, created_at',
};

/** Claims due jobs (queue.ts claim), oldest first. */
export async function claimJobs(sql: SqlRunner, options: ClaimOptions): Promise<OutboxJob[]> {
  const rows = await claim<{
    id: bigint | string;
    deployment_id: string | null;
    kind: OutboxKind;
    payload: Record<string, unknown>;
    attempts: number;
    created_at: Date | string;
  }>(sql, OUTBOX, options);
  return rows.map((row) => ({
    id: BigInt(row.id),
    deploymentId: row.deployment_id,
    kind: row.kind,
    payload: row.payload,
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
  }));
}
