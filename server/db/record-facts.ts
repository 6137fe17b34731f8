import { type DeploymentRecord, firstGithubId } from '../ledger/index.ts';
import { findById } from './deployments.ts';
import { inLockedTransaction } from './environment-lock.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { findByRun } from './run-records.ts';

// Facts about a record that are not state changes: no signal, no decision. Written under the
// environment's lock: a signal applied at the same moment writes the whole row back from what it
// read, and would erase the fact (for GitHub's id, the next job then created a second one).

/** Remembers GitHub's id for a record's deployment; the first id stored wins (firstGithubId). */
export async function attachGithubDeployment(
  prisma: PrismaClient,
  id: string,
  githubDeploymentId: number,
): Promise<DeploymentRecord | null> {
  const current = await findById(prisma, id);
  if (!current) return null;
  return inLockedTransaction(prisma, current, async (tx) => {
    const fresh = await findById(tx, id);
    if (!fresh) return null;
    const kept = firstGithubId(fresh, githubDeploymentId);
    if (kept === fresh.githubDeploymentId) return fresh;
    await tx.deployment.update({ where: { id }, data: { githubDeploymentId: BigInt(kept) } });
    return { ...fresh, githubDeploymentId: kept };
  });
}

/**
 * Remembers when the record's commit was made (lead time for changes), only when no producer
 * said so before: the first time stored wins.
 */
export async function noteCommitTime(
  prisma: PrismaClient,
  id: string,
  at: Date,
): Promise<DeploymentRecord | null> {
  const current = await findById(prisma, id);
  if (!current) return null;
  if (current.commitAt) return current;
  return inLockedTransaction(prisma, current, async (tx) => {
    await tx.deployment.updateMany({
      where: { id, commitAt: null },
      data: { commitAt: at, updatedAt: new Date() },
    });
    return findById(tx, id);
  });
}

/**
 * A workflow run's commit time, for the run attempt's records of that commit (any state, any
 * environment) that have none yet. Returns the records that took it.
 */
export async function noteCommitTimeOfRun(
  prisma: PrismaClient,
  run: { repository: string; runId: number; runAttempt: number; sha: string },
  at: Date,
): Promise<DeploymentRecord[]> {
  const dated: DeploymentRecord[] = [];
  for (const record of await findByRun(prisma, run, 'any')) {
    if (record.commitAt || record.sha.toLowerCase() !== run.sha.toLowerCase()) continue;
    const noted = await noteCommitTime(prisma, record.id, at);
    if (noted?.commitAt?.getTime() === at.getTime()) dated.push(noted);
  }
  return dated;
}

/** A timeline entry that is not a signal (an outbound call, a decision about the record). */
export async function note(
  prisma: PrismaClient,
  deploymentId: string,
  source: string,
  reason: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await prisma.deploymentEvent.create({
    data: {
      deploymentId,
      source,
      state: null,
      applied: true,
      reason,
      detail: detail as Prisma.InputJsonValue,
      occurredAt: new Date(),
    },
  });
}
