import { type DeploymentRecord, foldName } from '../ledger/index.ts';
import { RECORD_SELECT } from './deployment-columns.ts';
import { ACTIVE_STATES_SQL, type DeploymentSqlRow, fromSqlRow, type SqlRunner } from './deployment-sql.ts';

/** A record named by a workload's annotations. */
export interface NamedKey {
  repository: string;
  environment: string;
  key: string;
}

/** What correlating a batch of watched objects needs, read in one statement. */
export interface K8sCandidates {
  /** Records stored under one of the named keys. */
  named: DeploymentRecord[];
  /** Active records whose sha is one of the image tags, newest first. */
  active: DeploymentRecord[];
  /**
   * Per record above, the rollout step the watcher last reported for it (`detail.observation` of
   * its latest `k8s` timeline event), so a restarted or second watcher does not report it again.
   */
  lastObservation: Map<string, string>;
}

const LAST_OBSERVATION = `(SELECT e.detail->>'observation' FROM deployment_event e
  WHERE e.deployment_id = deployment.id AND e.source = 'k8s' ORDER BY e.id DESC LIMIT 1) AS observation`;

/** The records named by `keys` and the active records whose sha is in `shas` (lower-case), with their last k8s step. */
export async function findK8sCandidates(
  sql: SqlRunner,
  keys: NamedKey[],
  shas: string[],
): Promise<K8sCandidates> {
  if (keys.length === 0 && shas.length === 0) return { named: [], active: [], lastObservation: new Map() };
  const rows = await sql.query<DeploymentSqlRow & { role: 'named' | 'active'; observation: string | null }>(
    `(SELECT ${RECORD_SELECT}, 'named' AS role, ${LAST_OBSERVATION} FROM deployment
       WHERE (repository_key, environment_key, key) IN
         (SELECT * FROM unnest($1::text[], $2::text[], $3::text[])))
     UNION ALL
     (SELECT ${RECORD_SELECT}, 'active' AS role, ${LAST_OBSERVATION} FROM deployment
       WHERE sha = ANY($4::text[]) AND state IN (${ACTIVE_STATES_SQL})
       ORDER BY created_at DESC, id DESC)`,
    [
      keys.map((named) => foldName(named.repository)),
      keys.map((named) => foldName(named.environment)),
      keys.map((named) => named.key),
      shas,
    ],
  );
  const candidates: K8sCandidates = { named: [], active: [], lastObservation: new Map() };
  for (const row of rows) {
    const { record } = fromSqlRow(row);
    candidates[row.role].push(record);
    if (row.observation !== null) candidates.lastObservation.set(record.id, row.observation);
  }
  return candidates;
}
