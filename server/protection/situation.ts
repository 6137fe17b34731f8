import { findActive, findById } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { findOwnRecord, findUnrecoveredFailure } from '../db/protection-lookups.ts';
import type { ProtectionRequestInput } from '../db/protection-requests.ts';
import { findSupersededRollout, isJobKeptBackByRule } from '../db/superseded-rollouts.ts';
import type { DeploymentRecord, StuckPolicy } from '../ledger/index.ts';

/** What the gate needs to know about the requesting job's environment, read from the ledger. */
export async function readSituation(
  prisma: PrismaClient,
  request: ProtectionRequestInput,
  policy: StuckPolicy,
) {
  const { repository, environment } = request;
  const own = await findOwnRecord(prisma, request);
  const found = await findActive(prisma, repository, environment);
  // The job's own deployment (its `deployment` delivery may be processed first, or this is a
  // re-run attempt of the same run) is not something to wait for — but the record it superseded
  // is, while that record's rollout goes on.
  // Nor is a deployment whose job this rule holds (or rejected): it deployed nothing. Two jobs
  // queued one after the other are let through in the order they came, not each after the other.
  const active =
    found && !isOwn(found, request) && !(await isJobKeptBackByRule(prisma, found.id)) ? found : null;
  const supersededRollout = active ? null : await findSupersededRollout(prisma, request, policy);
  return {
    own,
    active: active ?? supersededRollout,
    activeIsSupersededRollout: supersededRollout !== null,
    unrecoveredFailure: await findUnrecoveredFailure(prisma, repository, environment),
  };
}

export async function findRecord(prisma: PrismaClient, id: string | null): Promise<DeploymentRecord | null> {
  return id ? findById(prisma, id) : null;
}

function isOwn(record: DeploymentRecord, request: ProtectionRequestInput): boolean {
  return (
    (request.githubDeploymentId !== null && record.githubDeploymentId === request.githubDeploymentId) ||
    record.runId === request.runId
  );
}
