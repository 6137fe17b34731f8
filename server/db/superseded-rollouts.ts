import { type DeploymentRecord, foldName, type StuckPolicy } from '../ledger/index.ts';
import { type Db, findById } from './deployments.ts';
import { Prisma } from './generated/client.ts';

// Records the requesting job's own deployment superseded, and whether their rollout has ended
// (server/protection/superseded-rollout.ts says why the gate asks). The SQL lives here once:
// `findReleasable` and the situation use the same conditions.

/** The requesting job, as the conditions compare it. */
export interface RequestingJob {
  repository: string;
  environment: string;
  runId: number;
  githubDeploymentId: number | null;
}

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

/** A superseding chain longer than this is not followed (each link is a job the rule kept back). */
const MAX_LINKS = 8;

/**
 * Record `alias`'s job is held by this rule, or was rejected by it: it has deployed nothing (and
 * a rejected one never will), so it has not started either. A held request is found by the
 * record's GitHub deployment when both name one, else by its workflow run; a rejected one only by
 * the same GitHub deployment (a run's re-run attempt, let through, has a deployment of its own).
 * The environment is compared folded, as foldName folds it.
 */
export function jobKeptBackByRule(alias: string): Prisma.Sql {
  const record = Prisma.raw(alias);
  return Prisma.sql`(${record}.started_at IS NULL AND EXISTS (SELECT 1 FROM protection_request p
    WHERE p.run_id = ${record}.run_id
      AND ((p.status = 'held'
            AND (p.github_deployment_id IS NULL OR ${record}.github_deployment_id IS NULL
                 OR p.github_deployment_id = ${record}.github_deployment_id))
           OR (p.decision = 'rejected' AND p.github_deployment_id = ${record}.github_deployment_id))
      AND translate(p.environment, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ${record}.environment_key))`;
}

/**
 * Record `d` is `inactive` because a deployment of the requesting job (same workflow run or
 * same GitHub deployment) superseded it, and is not itself the job's own deployment. Superseded
 * by a deployment whose job this rule holds (or rejected) counts too, followed link by link: that
 * job deployed nothing, so what rolls out is what it superseded. (Two jobs queued one after the other
 * during a rollout would otherwise hold each other: the first waits for the second's record, the
 * second for the first's rollout, which cannot start.)
 */
export function supersededByOwnJob(req: RequestColumns): Prisma.Sql {
  const supersededBy = (record: string) => Prisma.sql`SELECT (s.detail->>'superseded_by')::uuid
      FROM deployment_event s
      WHERE s.deployment_id = ${Prisma.raw(record)}.id AND s.applied AND s.state = 'inactive' AND s.reason = 'superseded'`;
  return Prisma.sql`(d.state = 'inactive'
    AND d.run_id IS DISTINCT FROM ${req.runId}
    AND (${req.githubDeploymentId} IS NULL OR d.github_deployment_id IS DISTINCT FROM ${req.githubDeploymentId})
    AND EXISTS (
      WITH RECURSIVE superseders(id, links) AS (
        SELECT by_id, 1 FROM (${supersededBy('d')}) AS first(by_id)
        UNION ALL
        SELECT (s.detail->>'superseded_by')::uuid, c.links + 1
        FROM superseders c
        JOIN deployment o ON o.id = c.id
        JOIN deployment_event s ON s.deployment_id = o.id AND s.applied AND s.state = 'inactive'
          AND s.reason = 'superseded'
        WHERE c.links < ${MAX_LINKS} AND ${jobKeptBackByRule('o')})
      SELECT 1 FROM superseders c JOIN deployment o ON o.id = c.id
      WHERE o.repository = ${req.repository} AND o.environment = ${req.environment}
        AND (o.run_id = ${req.runId} OR o.github_deployment_id = ${req.githubDeploymentId})))`;
}

/**
 * Record `d`'s rollout has not been seen to end, and the sweeper's deadline (which would have
 * ended it, had it stayed active) has not passed either; nor is its job held or rejected by this
 * rule (then nothing of it rolls out).
 */
export function rolloutNotSeenToEnd(policy: StuckPolicy): Prisma.Sql {
  return Prisma.sql`(NOT EXISTS (SELECT 1 FROM deployment_event e WHERE e.deployment_id = d.id AND ${endEvent})
    AND d.created_at > now() - make_interval(secs => COALESCE(
      (${JSON.stringify(policy.byEnvironment)}::jsonb ->> d.environment_key)::float8, ${policy.defaultSeconds}::float8))
    AND NOT ${jobKeptBackByRule('d')})`;
}

function requestValues(request: RequestingJob): RequestColumns {
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
  prisma: Db,
  request: RequestingJob,
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

/** Whether the job's own deployment superseded this record. */
export async function isSupersededByOwnJob(
  prisma: Db,
  request: RequestingJob,
  recordId: string,
): Promise<boolean> {
  const superseded = await prisma.$queryRaw<Array<{ ok: number }>>`
    SELECT 1 AS ok FROM deployment d WHERE d.id = ${recordId}::uuid AND ${supersededByOwnJob(requestValues(request))}`;
  return superseded.length > 0;
}

/** Whether the record's job is held or was rejected by this rule (it has deployed nothing). */
export async function isJobKeptBackByRule(prisma: Db, recordId: string): Promise<boolean> {
  const kept = await prisma.$queryRaw<Array<{ ok: number }>>`
    SELECT 1 AS ok FROM deployment d WHERE d.id = ${recordId}::uuid AND ${jobKeptBackByRule('d')}`;
  return kept.length > 0;
}

/** The first event that shows the record's rollout is over; undefined while none does. */
export async function findRolloutEndEvent(prisma: Db, recordId: string) {
  const [event] = await prisma.$queryRaw<
    Array<{ source: string; state: string | null; step: string | null }>
  >`
    SELECT e.source, e.state, e.detail->>'step' AS step FROM deployment_event e
    WHERE e.deployment_id = ${recordId}::uuid AND ${endEvent}
    ORDER BY e.id LIMIT 1`;
  return event;
}
