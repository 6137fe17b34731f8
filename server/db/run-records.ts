import { ACTIVE_STATES, type DeploymentRecord, foldName, runKey } from '../ledger/index.ts';
import type { Db } from './deployments.ts';
import type { Prisma } from './generated/client.ts';
import { toRecord } from './records.ts';

/** One workflow run attempt of a repository. */
export interface RunRef {
  repository: string;
  runId: number;
  runAttempt: number;
}

/**
 * Records of one workflow run attempt, in any environment of the repository. `active`: those
 * still active that carry the run's id and attempt. `any`: those in any state keyed
 * `<run_id>-<run_attempt>` or carrying the run's id and attempt.
 */
export async function findByRun(db: Db, run: RunRef, which: 'active' | 'any'): Promise<DeploymentRecord[]> {
  const ofRun = { runId: BigInt(run.runId), runAttempt: run.runAttempt };
  const where: Prisma.DeploymentWhereInput =
    which === 'active'
      ? { ...ofRun, state: { in: [...ACTIVE_STATES] } }
      : { OR: [{ key: runKey(run.runId, run.runAttempt) }, ofRun] };
  const rows = await db.deployment.findMany({ where: { repositoryKey: foldName(run.repository), ...where } });
  return rows.map(toRecord);
}
