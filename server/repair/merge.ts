import { findMergeGroup, foldIntoSurvivor } from '../db/duplicate-merge.ts';
import type { EnvironmentLedger } from '../db/ledger-store.ts';
import { type DeploymentRecord, decide, type Signal } from '../ledger/index.ts';

/**
 * What a duplicate knew, as signals to its survivor (source `repair`): when it started, when it
 * was deployed, and the state it reached, each at its own best-known time. The core decides
 * what they do to the survivor, with the same rules as for any producer.
 */
export function signalsOf(
  duplicate: DeploymentRecord,
  role: 'merged_from' | 'survivor' = 'merged_from',
): Signal[] {
  const detail = { [role]: duplicate.id, key: duplicate.key };
  const signals: Signal[] = [];
  if (duplicate.startedAt)
    signals.push({ source: 'repair', state: 'in_progress', at: duplicate.startedAt, detail });
  if (duplicate.deployedAt && duplicate.state !== 'success') {
    signals.push({ source: 'repair', state: 'success', at: duplicate.deployedAt, detail });
  }
  signals.push({
    source: 'repair',
    state: duplicate.state,
    at: duplicate.completedAt ?? duplicate.deployedAt ?? duplicate.startedAt ?? duplicate.createdAt,
    environmentUrl: duplicate.environmentUrl,
    logUrl: duplicate.logUrl,
    description: duplicate.description,
    githubDeploymentId: duplicate.githubDeploymentId ?? undefined,
    k8s: duplicate.k8s ?? undefined,
    reason: 'merged_duplicate',
    detail,
  });
  return signals;
}

/**
 * The duplicates' signals, after the survivor's own state restated at its best-known time: a
 * legacy row that says `success` without deployed_at gets one from what the group knows.
 */
function mergeSignals(survivor: DeploymentRecord, duplicates: DeploymentRecord[]): Signal[] {
  return [...signalsOf(survivor, 'survivor'), ...duplicates.flatMap((duplicate) => signalsOf(duplicate))];
}

/** The survivor as the merge will leave it (the core's decision, computed without writing). */
export function predictMerge(survivor: DeploymentRecord, duplicates: DeploymentRecord[]): DeploymentRecord {
  let record = survivor;
  for (const signal of mergeSignals(survivor, duplicates)) record = decide(record, signal).record;
  return record;
}

/**
 * Merges duplicates into their survivor inside the environment's locked transaction: their
 * timeline events and metric samples move to the survivor, the duplicate rows go, then what
 * they knew is applied to the survivor as signals. Deleting first keeps the rules that look at
 * the environment's other records (auto-inactive) from seeing the duplicates as other
 * deployments. Returns false when the group changed since it was planned.
 */
export async function mergeGroup(ledger: EnvironmentLedger, survivorId: string, duplicateIds: string[]) {
  const group = await findMergeGroup(ledger.tx, survivorId, duplicateIds);
  if (!group) return false;
  const { survivor, duplicates } = group;
  await foldIntoSurvivor(
    ledger.tx,
    survivorId,
    duplicates.map((duplicate) => duplicate.id),
  );
  for (const signal of mergeSignals(survivor, duplicates)) await ledger.apply(survivorId, signal);
  return true;
}
