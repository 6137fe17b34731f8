import { ACTIVE_STATES, type DeploymentRecord } from '../ledger/index.ts';
import type { Db } from './deployments.ts';
import { toRecord } from './records.ts';

/** Active records whose sha is one of these (lower-case) shas: the Kubernetes watcher's image match. */
export async function findActiveBySha(db: Db, shas: string[]): Promise<DeploymentRecord[]> {
  if (shas.length === 0) return [];
  const rows = await db.deployment.findMany({
    where: { sha: { in: shas }, state: { in: [...ACTIVE_STATES] } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toRecord);
}

/**
 * The rollout step the watcher last reported for a record (`detail.observation` of its latest
 * `k8s` timeline event), so a restarted or second watcher does not report it again.
 */
export async function lastK8sObservation(db: Db, deploymentId: string): Promise<string | null> {
  const event = await db.deploymentEvent.findFirst({
    where: { deploymentId, source: 'k8s' },
    orderBy: { id: 'desc' },
    select: { detail: true },
  });
  const detail = event?.detail;
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return null;
  const observation = (detail as Record<string, unknown>).observation;
  return typeof observation === 'string' ? observation : null;
}
