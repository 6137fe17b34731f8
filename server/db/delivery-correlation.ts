import type { DeliveredDeployment } from '../ledger/index.ts';
import { ACTIVE_STATES, type DeploymentRecord, foldName, runKey, sameName } from '../ledger/index.ts';
import type { Db } from './deployments.ts';
import { findById, findByKey } from './deployments.ts';
import { toRecord } from './records.ts';

/** The contract's correlation for GitHub deliveries: marker, then run, then GitHub's id. */
export async function correlate(db: Db, delivered: DeliveredDeployment): Promise<DeploymentRecord | null> {
  const { repository, environment } = delivered;
  if (delivered.marker && /^[0-9a-f-]{36}$/i.test(delivered.marker)) {
    const marked = await findById(db, delivered.marker);
    if (marked && isSameRepository(marked, delivered)) return marked;
  }
  if (delivered.runId !== null && delivered.runAttempt !== null) {
    const byRun = await findByKey(db, repository, environment, runKey(delivered.runId, delivered.runAttempt));
    if (byRun) return byRun;
  }
  const byGithubId = await db.deployment.findFirst({
    where: { ...repositoryWhere(repository), githubDeploymentId: BigInt(delivered.githubDeploymentId) },
  });
  return byGithubId ? toRecord(byGithubId) : null;
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
