import { ACTIVE_STATES, type DeploymentRecord, type State } from '../ledger/index.ts';
import type { Deployment } from './generated/client.ts';
import { toRecord } from './records.ts';

/**
 * The core's active states as a SQL list (`state IN (${ACTIVE_STATES_SQL})`; in a tagged
 * `$queryRaw`, through `Prisma.raw`), so SQL never retypes them.
 */
export const ACTIVE_STATES_SQL = ACTIVE_STATES.map((state) => `'${state}'`).join(', ');

/** Runs one SQL statement on the pool (node-postgres): the hot paths skip Prisma's per-query cost. */
export interface SqlRunner {
  query<R>(text: string, params: unknown[]): Promise<R[]>;
}

/**
 * The deployment columns under the names Prisma gives them, so a row read with node-postgres maps
 * to a record through the same toRecord (int8 columns arrive as strings; Number() reads both).
 */
export const RECORD_SELECT = `id, repository, environment, repository_key AS "repositoryKey",
  environment_key AS "environmentKey", repository_id AS "repositoryId", key, sha, ref, state,
  run_id AS "runId", run_attempt AS "runAttempt", github_deployment_id AS "githubDeploymentId",
  k8s_namespace AS "k8sNamespace", k8s_name AS "k8sName", k8s_revision AS "k8sRevision",
  k8s_rollouts AS "k8sRollouts",
  environment_url AS "environmentUrl", log_url AS "logUrl", description,
  metrics_endpoint AS "metricsEndpoint", fingerprint, commit_at AS "commitAt",
  created_at AS "createdAt", started_at AS "startedAt", deployed_at AS "deployedAt",
  completed_at AS "completedAt", updated_at AS "updatedAt", version`;

export type DeploymentSqlRow = Deployment;

/** A stored record and the row version it was read at (for a conditional write). */
export interface VersionedRecord {
  record: DeploymentRecord;
  version: number;
}

export function fromSqlRow(row: DeploymentSqlRow): VersionedRecord {
  return { version: row.version, record: toRecord(row) };
}

/** What a decision may change on a stored row, in column order: everything but its identity. */
export const DECIDED_COLUMNS = [
  'sha',
  'ref',
  'state',
  'run_id',
  'run_attempt',
  'github_deployment_id',
  'k8s_namespace',
  'k8s_name',
  'k8s_revision',
  'k8s_rollouts',
  'environment_url',
  'log_url',
  'description',
  'metrics_endpoint',
  'fingerprint',
  'commit_at',
  'created_at',
  'started_at',
  'deployed_at',
  'completed_at',
  'updated_at',
] as const;

export function decidedValues(record: DeploymentRecord): unknown[] {
  return [
    record.sha,
    record.ref,
    record.state,
    record.runId,
    record.runAttempt,
    record.githubDeploymentId,
    record.k8s?.namespace ?? null,
    record.k8s?.name ?? null,
    record.k8s?.revision ?? null,
    record.k8sRollouts ? JSON.stringify(record.k8sRollouts) : null,
    record.environmentUrl,
    record.logUrl,
    record.description,
    record.metricsEndpoint,
    record.fingerprint,
    record.commitAt ?? null,
    record.createdAt,
    record.startedAt,
    record.deployedAt,
    record.completedAt,
    record.updatedAt,
  ];
}

export const IDENTITY_COLUMNS = ['id', 'repository', 'environment', 'repository_id', 'key'] as const;

/** Column types, for parameters in a SELECT list (where PostgreSQL cannot infer them). */
export const COLUMN_TYPES: Record<
  (typeof IDENTITY_COLUMNS)[number] | (typeof DECIDED_COLUMNS)[number],
  string
> = {
  id: 'uuid',
  repository: 'text',
  environment: 'text',
  repository_id: 'bigint',
  key: 'text',
  sha: 'text',
  ref: 'text',
  state: 'text',
  run_id: 'bigint',
  run_attempt: 'integer',
  github_deployment_id: 'bigint',
  k8s_namespace: 'text',
  k8s_name: 'text',
  k8s_revision: 'text',
  k8s_rollouts: 'jsonb',
  environment_url: 'text',
  log_url: 'text',
  description: 'text',
  metrics_endpoint: 'text',
  fingerprint: 'text',
  commit_at: 'timestamptz',
  created_at: 'timestamptz',
  started_at: 'timestamptz',
  deployed_at: 'timestamptz',
  completed_at: 'timestamptz',
  updated_at: 'timestamptz',
};

export function identityValues(record: DeploymentRecord): unknown[] {
  return [record.id, record.repository, record.environment, record.repositoryId ?? null, record.key];
}
