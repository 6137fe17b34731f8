import { type Db, findActive, findById } from '../db/deployments.ts';
import { findOwnRecord, findUnrecoveredFailure } from '../db/protection-lookups.ts';
import type { ProtectionRequestInput } from '../db/protection-requests.ts';
import { findSupersededRollout, isJobKeptBackByRule } from '../db/superseded-rollouts.ts';
import type { DeploymentRecord, StuckPolicy } from '../ledger/index.ts';

/** What the gate needs to know about the requesting job's environment, read from the ledger. */
export async function readSituation(prisma: Db, request: ProtectionRequestInput, policy: StuckPolicy) {
  const { repository, environment } = request;
  const own = await findOwnRecord(prisma, request);
  const found = await findActive(prisma, repository, environment);
  // The job's own deployment (its `deployment` delivery may be processed first, or this is a
  // re-run attempt of the same run) is not something to wait for — but the record it superseded
  // is, while that record's rollout goes on. Nor is a deployment whose job this rule holds (or
  // rejected): it deployed nothing, but what it superseded may still roll out. So two jobs queued
  // one after the other go in the order they came, not each after the other.
  const other = found && !isOwn(found, request) ? found : null;
  const keptBack = other !== null && (await isJobKeptBackByRule(prisma, other.id));
  const active = keptBack ? null : other;
  const supersededRollout =
    (other && keptBack ? await findSupersededRollout(prisma, jobOf(other), policy) : null) ??
    (active ? null : await findSupersededRollout(prisma, request, policy));
  return {
    own,
    active: active ?? supersededRollout,
    activeIsSupersededRollout: supersededRollout !== null,
    unrecoveredFailure: await findUnrecoveredFailure(prisma, repository, environment),
  };
}

export async function findRecord(prisma: Db, id: string | null): Promise<DeploymentRecord | null> {
  return id ? findById(prisma, id) : null;
}

function isOwn(record: DeploymentRecord, request: ProtectionRequestInput): boolean {
  return (
    (request.githubDeploymentId !== null && record.githubDeploymentId === request.githubDeploymentId) ||
    record.runId === request.runId
  );
}

/** The job that made a record, as the supersede conditions name it (a kept-back record has a run). */
function jobOf(record: DeploymentRecord) {
  return {
    repository: record.repository,
    environment: record.environment,
    runId: record.runId ?? 0,
    githubDeploymentId: record.githubDeploymentId,
  };
}
