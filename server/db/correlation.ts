import type { Observation } from '../ledger/index.ts';
import { ACTIVE_STATES, type DeploymentRecord, foldName, sameName } from '../ledger/index.ts';
import type { Tx } from './deployments.ts';
import { findById, findByKey } from './deployments.ts';
import { toRecord } from './records.ts';

/** The contract's correlation for GitHub deliveries: marker, then run, then GitHub's id. */
export async function correlate(db: Tx, observation: Observation): Promise<DeploymentRecord | null> {
  const { repository, environment } = observation;
  if (observation.marker && /^[0-9a-f-]{36}$/i.test(observation.marker)) {
    const marked = await findById(db, observation.marker);
    if (marked && isSameRepository(marked, observation)) return marked;
  }
  if (observation.runId !== null && observation.runAttempt !== null) {
    const byRun = await findByKey(
      db,
      repository,
      environment,
      runKey(observation.runId, observation.runAttempt),
    );
    if (byRun) return byRun;
  }
  const byGithubId = await db.deployment.findFirst({
    where: { ...repositoryWhere(repository), githubDeploymentId: BigInt(observation.githubDeploymentId) },
  });
  return byGithubId ? toRecord(byGithubId) : null;
}

/** GitHub's repository id decides when both sides know it (a rename keeps it); else the name. */
function isSameRepository(record: DeploymentRecord, observation: Observation): boolean {
  const { repositoryId } = observation;
  if (repositoryId != null && record.repositoryId != null) return repositoryId === record.repositoryId;
  return sameName(record.repository, observation.repository);
}

function repositoryWhere(repository: string) {
  return { repositoryKey: foldName(repository) };
}

export function runKey(runId: number, runAttempt: number): string {
  return `${runId}-${runAttempt}`;
}

/** The key a record opened from a delivery gets: its run's key when it has one, else `gh-<id>`. */
export function keyFor(observation: Observation): string {
  return observation.runId !== null && observation.runAttempt !== null
    ? runKey(observation.runId, observation.runAttempt)
    : `gh-${observation.githubDeploymentId}`;
}

/** Active records of one workflow run attempt, in any environment of the repository. */
export async function findActiveByRun(
  db: Tx,
  repository: string,
  runId: number,
  runAttempt: number,
): Promise<DeploymentRecord[]> {
  const rows = await db.deployment.findMany({
    where: {
      ...repositoryWhere(repository),
      runId: BigInt(runId),
      runAttempt,
      state: { in: [...ACTIVE_STATES] },
    },
  });
  return rows.map(toRecord);
}

/**
 * Records of one workflow run attempt in any state and environment of the repository: those
 * keyed `<run_id>-<run_attempt>` and those that carry the run's id and attempt.
 */
export async function findByRun(
  db: Tx,
  repository: string,
  runId: number,
  runAttempt: number,
): Promise<DeploymentRecord[]> {
  const rows = await db.deployment.findMany({
    where: {
      ...repositoryWhere(repository),
      OR: [{ key: runKey(runId, runAttempt) }, { runId: BigInt(runId), runAttempt }],
    },
  });
  return rows.map(toRecord);
}
