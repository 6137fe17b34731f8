import type { DeploymentRecord, Signal, State } from '../ledger/index.ts';

/** Runs one SQL statement on the pool (node-postgres): the hot paths skip Prisma's per-query cost. */
export interface SqlRunner {
  query<R>(text: string, params: unknown[]): Promise<R[]>;
}

/** A deployment row as node-postgres returns it (snake_case; int8 as strings). */
export interface DeploymentSqlRow {
  id: string;
  repository: string;
  environment: string;
  repository_id: string | null;
  key: string;
  sha: string;
  ref: string | null;
  state: string;
  run_id: string | null;
  run_attempt: number | null;
  github_deployment_id: string | null;
  k8s_namespace: string | null;
  k8s_name: string | null;
  k8s_revision: string | null;
  environment_url: string | null;
  log_url: string | null;
  description: string | null;
  metrics_endpoint: string | null;
  fingerprint: string | null;
  commit_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  deployed_at: Date | null;
  completed_at: Date | null;
  updated_at: Date;
  version: number;
}

/** A stored record and the row version it was read at (for a conditional write). */
export interface VersionedRecord {
  record: DeploymentRecord;
  version: number;
}

export function fromSqlRow(row: DeploymentSqlRow): VersionedRecord {
  const number = (value: string | null) => (value === null ? null : Number(value));
  return {
    version: row.version,
    record: {
      id: row.id,
      repository: row.repository,
      environment: row.environment,
      repositoryId: number(row.repository_id),
      key: row.key,
      sha: row.sha,
      ref: row.ref,
      state: row.state as State,
      runId: number(row.run_id),
      runAttempt: row.run_attempt,
      githubDeploymentId: number(row.github_deployment_id),
      k8s:
        row.k8s_namespace && row.k8s_name
          ? { namespace: row.k8s_namespace, name: row.k8s_name, revision: row.k8s_revision }
          : null,
      environmentUrl: row.environment_url,
      logUrl: row.log_url,
      description: row.description,
      metricsEndpoint: row.metrics_endpoint,
      fingerprint: row.fingerprint,
      commitAt: row.commit_at,
      createdAt: row.created_at,
      startedAt: row.started_at,
      deployedAt: row.deployed_at,
      completedAt: row.completed_at,
      updatedAt: row.updated_at,
    },
  };
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

/** The timeline row of one decided signal. */
export interface TimelineEntry {
  source: string;
  state: State | null;
  applied: boolean;
  reason: string | null;
  detail: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
}

export function timelineEntry(
  signal: Signal,
  decision: { applied: boolean; reason: string | null },
  now: Date,
): TimelineEntry {
  return {
    source: signal.source,
    state: signal.state,
    applied: decision.applied,
    reason: decision.reason ?? signal.reason ?? null,
    detail: timelineDetail(signal),
    occurredAt: signal.at,
    receivedAt: now,
  };
}

export function timelineDetail(signal: Signal): Record<string, unknown> {
  const detail: Record<string, unknown> = { ...signal.detail };
  if (signal.reason) detail.signal_reason = signal.reason;
  if (signal.environmentUrl) detail.environment_url = signal.environmentUrl;
  if (signal.logUrl) detail.log_url = signal.logUrl;
  if (signal.description) detail.description = signal.description;
  return detail;
}
