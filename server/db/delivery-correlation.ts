import type { DeliveredDeployment } from '../ledger/index.ts';
import { type DeploymentRecord, foldName, runKey, sameName } from '../ledger/index.ts';
import type { Db } from './deployments.ts';
import { findById, findByKey } from './deployments.ts';
import { toRecord } from './records.ts';

/** Where correlation looks: the database, or records a batch holds in memory. */
export interface DeliveryLookup {
  byId(id: string): Promise<DeploymentRecord | null>;
  /** The record of the delivery's (repository, environment) under this key. */
  byKey(key: string): Promise<DeploymentRecord | null>;
  /** A record of the delivered's repository with this GitHub deployment id. */
  byGithubId(githubDeploymentId: number): Promise<DeploymentRecord | null>;
}

/** The contract's correlation for GitHub deliveries: marker, then run, then GitHub's id. */
export async function correlate(db: Db, delivered: DeliveredDeployment): Promise<DeploymentRecord | null> {
  const { repository, environment } = delivered;
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
    delivered,
  );
}

export async function correlateWith(
  lookup: DeliveryLookup,
  delivered: DeliveredDeployment,
): Promise<DeploymentRecord | null> {
  if (delivered.marker && /^[0-9a-f-]{36}$/i.test(delivered.marker)) {
    const marked = await lookup.byId(delivered.marker);
    if (marked && isSameRepository(marked, delivered)) return marked;
  }
  if (delivered.runId !== null && delivered.runAttempt !== null) {
    const byRun = await lookup.byKey(runKey(delivered.runId, delivered.runAttempt));
    if (byRun) return byRun;
  }
  return lookup.byGithubId(delivered.githubDeploymentId);
}

/** GitHub's repository id decides when both sides know it (a rename keeps it); else the name. */
function isSameRepository(record: DeploymentRecord, delivered: DeliveredDeployment): boolean {
  const { repositoryId } = delivered;
  if (repositoryId != null && record.repositoryId != null) return repositoryId === record.repositoryId;
  return sameName(record.repository, delivered.repository);
}

function repositoryWhere(repository: string) {
  return { repositoryKey: foldName(repository) };
}
