import type { DeploymentRecord } from '../ledger/index.ts';
import type { Tx } from './environment-lock.ts';
import { moveSamples } from './metric-samples.ts';
import { toRecord } from './records.ts';

// What `repair` reads and removes when it merges duplicates into their survivor.

/** The survivor and its duplicates (oldest first), read afresh; null when either is gone. */
export async function findMergeGroup(
  tx: Tx,
  survivorId: string,
  duplicateIds: string[],
): Promise<{ survivor: DeploymentRecord; duplicates: DeploymentRecord[] } | null> {
  const survivor = await tx.deployment.findUnique({ where: { id: survivorId } });
  const rows = await tx.deployment.findMany({
    where: { id: { in: duplicateIds } },
    orderBy: { createdAt: 'asc' },
  });
  if (!survivor || rows.length === 0) return null;
  return { survivor: toRecord(survivor), duplicates: rows.map(toRecord) };
}

/** Moves the duplicates' timeline events and metric samples to the survivor, then deletes them. */
export async function foldIntoSurvivor(tx: Tx, survivorId: string, ids: string[]): Promise<void> {
  await tx.deploymentEvent.updateMany({
    where: { deploymentId: { in: ids } },
    data: { deploymentId: survivorId },
  });
  for (const id of ids) await moveSamples(tx, id, survivorId);
  await tx.deployment.deleteMany({ where: { id: { in: ids } } });
}
