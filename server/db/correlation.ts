import type { Observation } from '../ledger/index.ts';
import { ACTIVE_STATES, type DeploymentRecord, foldName, sameName } from '../ledger/index.ts';
import type { Tx } from './deployments.ts';
import { findById, findByKey } from './deployments.ts';
import { toRecord } from './records.ts';

/** Where correlation looks: the database, or records a batch holds in memory. */
export interface CorrelationLookup {
  byId(id: string): Promise<DeploymentRecord | null>;
  /** The record of the observation's (repository, environment) under this key. */
  byKey(key: string): Promise<DeploymentRecord | null>;
  /** A record of the observation's repository with this GitHub deployment id. */
  byGithubId(githubDeploymentId: number): Promise<DeploymentRecord | null>;
}

/** The contract's correlation for GitHub deliveries: marker, then run, then GitHub's id. */
export async function correlate(db: Tx, observation: Observation): Promise<DeploymentRecord | null> {
  const { repository, environment } = observation;
  return correlateWith(
    {
      byId: (id) => findById(db, id),
      byKey: (key) => findByKey(db, repository, environment, key),
      byGithubId: async (githubDeploymentId) => {
        const row = await db.deployment.findFirst({
          where: { ...repositoryWhere(repository), githubDeploymentId: BigInt(githubDeploymentId) },
        });
        return row ? toRecord(row) : null;
      },
    },
    observation,
  );
}

export async function correlateWith(
  lookup: CorrelationLookup,
  observation: Observation,
): Promise<DeploymentRecord | null> {
  if (observation.marker && /^[0-9a-f-]{36}$/i.test(observation.marker)) {
    const marked = await lookup.byId(observation.marker);
    if (marked && isSameRepository(marked, observation)) return marked;
  }
  if (observation.runId !== null && observation.runAttempt !== null) {
    const byRun = await lookup.byKey(runKey(observation.runId, observation.runAttempt));
    if (byRun) return byRun;
  }
  return lookup.byGithubId(observation.githubDeploymentId);
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
