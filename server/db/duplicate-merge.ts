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

/**
 * Moves the duplicates' timeline events and metric samples to the survivor, then deletes them. A
 * moved event is kept as history, not as a step of the survivor: what it did to the duplicate
 * (`applied_there`, `reason_there`, `merged_from` in its detail) is not what the survivor decided,
 * and left applied, the last one would contradict the survivor's state. What the duplicate knew
 * reaches the survivor as the merge's own signals.
 */
export async function foldIntoSurvivor(tx: Tx, survivorId: string, ids: string[]): Promise<void> {
  await tx.$executeRaw`
    UPDATE deployment_event SET
      deployment_id = ${survivorId}::uuid,
      detail = (CASE WHEN jsonb_typeof(detail) = 'object' THEN detail ELSE '{}'::jsonb END) || jsonb_build_object(
        'merged_from', deployment_id::text, 'applied_there', applied, 'reason_there', reason),
      applied = false,
      reason = 'merged_duplicate'
    WHERE deployment_id = ANY(${ids}::uuid[])`;
  for (const id of ids) await moveSamples(tx, id, survivorId);
  await tx.deployment.deleteMany({ where: { id: { in: ids } } });
}
