import { findById } from '../db/deployments.ts';
import { Prisma, type PrismaClient } from '../db/generated/client.ts';
import { type DeploymentRecord, foldName, type StuckPolicy, stuckAfterMs } from '../ledger/index.ts';
import type { ProtectionRequestInput } from './request-types.ts';

/**
 * When a job targets a protected environment, GitHub creates the job's deployment and sends a
 * `deployment` delivery: by the contract that new record supersedes the one still rolling out,
 * which turns `inactive` while its rollout goes on in the cluster. For the gate such a record
 * stays "in progress" until its rollout is seen to end — a `k8s` event reporting the rollout
 * complete or past its progress deadline, or a final status (success, failure, error) from the
 * Action or a webhook, applied or not — or until the sweeper would have timed it out had it
 * stayed active (its stuck deadline from created_at).
 *
 * The SQL lives here once; `findReleasable` and the situation use the same conditions.
 */

/** How the rollout of a superseded record was seen to end. */
export type RolloutEnd =
  | { outcome: 'complete' | 'failed'; seenBy: string }
  | { outcome: 'timed_out'; seenBy: string };

/** Which request the conditions are about: SQL for its columns (`r.run_id`) or its values. */
export interface RequestColumns {
  repository: Prisma.Sql;
  environment: Prisma.Sql;
  runId: Prisma.Sql;
  githubDeploymentId: Prisma.Sql;
}

const FINAL_STATES = Prisma.join(['success', 'failure', 'error']);
const PRODUCERS = Prisma.join(['action', 'webhook']);
const ROLLOUT_END_STEPS = Prisma.join(['complete', 'progress_deadline_exceeded']);

/** An event `e` that shows the rollout of its record is over. */
const endEvent = Prisma.sql`(
  (e.source = 'k8s' AND e.detail->>'step' IN (${ROLLOUT_END_STEPS}))
  OR (e.source IN (${PRODUCERS}) AND e.state IN (${FINAL_STATES})
      AND e.reason IS DISTINCT FROM 'superseded'))`;

/**
 * Record `d` is `inactive` because a deployment of the requesting job (same workflow run or
 * same GitHub deployment) superseded it, and is not itself the job's own deployment.
 */
export function supersededByOwnJob(req: RequestColumns): Prisma.Sql {
  return Prisma.sql`(d.state = 'inactive'
    AND d.run_id IS DISTINCT FROM ${req.runId}
    AND (${req.githubDeploymentId} IS NULL OR d.github_deployment_id IS DISTINCT FROM ${req.githubDeploymentId})
    AND EXISTS (
      SELECT 1 FROM deployment_event s
      JOIN deployment o ON o.id::text = s.detail->>'superseded_by'
      WHERE s.deployment_id = d.id AND s.applied AND s.state = 'inactive' AND s.reason = 'superseded'
        AND o.repository = ${req.repository} AND o.environment = ${req.environment}
        AND (o.run_id = ${req.runId} OR o.github_deployment_id = ${req.githubDeploymentId})))`;
}

/**
 * Record `d`'s rollout has not been seen to end, and the sweeper's deadline (which would have
 * ended it, had it stayed active) has not passed either.
 */
export function rolloutNotSeenToEnd(policy: StuckPolicy): Prisma.Sql {
  return Prisma.sql`(NOT EXISTS (SELECT 1 FROM deployment_event e WHERE e.deployment_id = d.id AND ${endEvent})
    AND d.created_at > now() - make_interval(secs => COALESCE(
      (${JSON.stringify(policy.byEnvironment)}::jsonb ->> d.environment)::float8, ${policy.defaultSeconds}::float8)))`;
}

function requestValues(request: ProtectionRequestInput): RequestColumns {
  return {
    repository: Prisma.sql`${request.repository}`,
    environment: Prisma.sql`${request.environment}`,
    runId: Prisma.sql`${BigInt(request.runId)}::bigint`,
    githubDeploymentId:
      request.githubDeploymentId === null
        ? Prisma.sql`NULL::bigint`
        : Prisma.sql`${BigInt(request.githubDeploymentId)}::bigint`,
  };
}

/** The newest record the job's own deployment superseded whose rollout is still going on. */
export async function findSupersededRollout(
  prisma: PrismaClient,
  request: ProtectionRequestInput,
  policy: StuckPolicy,
): Promise<DeploymentRecord | null> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT d.id::text AS id FROM deployment d
    WHERE d.repository_key = ${foldName(request.repository)} AND d.environment_key = ${foldName(request.environment)}
      AND ${supersededByOwnJob(requestValues(request))}
      AND ${rolloutNotSeenToEnd(policy)}
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT 1`;
  return rows[0] ? findById(prisma, rows[0].id) : null;
}

/**
 * How the rollout of a record the job's own deployment superseded ended; null when the record
 * was not superseded by the job's deployment (it ended the ordinary way), or its rollout is
 * still going on.
 */
export async function supersededRolloutEnd(
  prisma: PrismaClient,
  request: ProtectionRequestInput,
  record: DeploymentRecord,
  policy: StuckPolicy,
): Promise<RolloutEnd | null> {
  const superseded = await prisma.$queryRaw<Array<{ ok: number }>>`
    SELECT 1 AS ok FROM deployment d WHERE d.id = ${record.id}::uuid AND ${supersededByOwnJob(requestValues(request))}`;
  if (superseded.length === 0) return null;
  const [event] = await prisma.$queryRaw<
    Array<{ source: string; state: string | null; step: string | null }>
  >`
    SELECT e.source, e.state, e.detail->>'step' AS step FROM deployment_event e
    WHERE e.deployment_id = ${record.id}::uuid AND ${endEvent}
    ORDER BY e.id LIMIT 1`;
  if (!event) {
    const stuckAt = record.createdAt.getTime() + stuckAfterMs(policy, record.environment);
    if (stuckAt > Date.now()) return null;
    return {
      outcome: 'timed_out',
      seenBy: 'no final report before the stuck deadline (DEPLOYLEDGER_STUCK_AFTER_SECONDS)',
    };
  }
  if (event.source === 'k8s') {
    return event.step === 'complete'
      ? { outcome: 'complete', seenBy: 'Kubernetes reported the rollout complete' }
      : { outcome: 'failed', seenBy: 'Kubernetes reported the rollout failed (ProgressDeadlineExceeded)' };
  }
  const who = event.source === 'action' ? 'the Action' : 'GitHub';
  return {
    outcome: event.state === 'success' ? 'complete' : 'failed',
    seenBy: `${who} reported ${event.state}`,
  };
}
