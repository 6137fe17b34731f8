import type { Deployment } from './generated/client.ts';

// The `deployment` table's columns, declared once for the raw SQL (node-postgres' hot paths and the
// batch writer). Typed against Prisma's generated model: a column added to schema.prisma and not
// here, or here and not there, fails typecheck. The record ↔ row mapping is in records.ts.

type SqlType = 'uuid' | 'text' | 'bigint' | 'integer' | 'timestamptz' | 'jsonb';

/** Every column, by Prisma's field name: its SQL name and type. */
export const DEPLOYMENT_COLUMNS = {
  id: ['id', 'uuid'],
  repository: ['repository', 'text'],
  environment: ['environment', 'text'],
  repositoryKey: ['repository_key', 'text'],
  environmentKey: ['environment_key', 'text'],
  repositoryId: ['repository_id', 'bigint'],
  key: ['key', 'text'],
  sha: ['sha', 'text'],
  ref: ['ref', 'text'],
  state: ['state', 'text'],
  kind: ['kind', 'text'],
  runId: ['run_id', 'bigint'],
  runAttempt: ['run_attempt', 'integer'],
  githubDeploymentId: ['github_deployment_id', 'bigint'],
  k8sNamespace: ['k8s_namespace', 'text'],
  k8sName: ['k8s_name', 'text'],
  k8sRevision: ['k8s_revision', 'text'],
  k8sRollouts: ['k8s_rollouts', 'jsonb'],
  environmentUrl: ['environment_url', 'text'],
  logUrl: ['log_url', 'text'],
  description: ['description', 'text'],
  metricsEndpoint: ['metrics_endpoint', 'text'],
  fingerprint: ['fingerprint', 'text'],
  commitAt: ['commit_at', 'timestamptz'],
  createdAt: ['created_at', 'timestamptz'],
  startedAt: ['started_at', 'timestamptz'],
  deployedAt: ['deployed_at', 'timestamptz'],
  completedAt: ['completed_at', 'timestamptz'],
  updatedAt: ['updated_at', 'timestamptz'],
  version: ['version', 'integer'],
} as const satisfies { [F in keyof Deployment]-?: readonly [column: string, type: SqlType] };

export type DeploymentField = keyof typeof DEPLOYMENT_COLUMNS;

/** Filled by the database (the name keys; the version, one more per update): never written from a record. */
const GENERATED = [
  'repositoryKey',
  'environmentKey',
  'version',
] as const satisfies readonly DeploymentField[];

/** Written when a record is opened and never changed by a decision. */
export const IDENTITY_FIELDS = [
  'id',
  'repository',
  'environment',
  'repositoryId',
  'key',
] as const satisfies readonly DeploymentField[];

export type WrittenField = Exclude<DeploymentField, (typeof GENERATED)[number]>;

/** A record as the row it is stored as: every written column, under Prisma's names and types. */
export type DeploymentRow = Pick<Deployment, WrittenField>;

const FIELDS = Object.keys(DEPLOYMENT_COLUMNS) as DeploymentField[];

/** What a decision may change on a stored row, in table order: every written column but the identity. */
export const DECIDED_FIELDS = FIELDS.filter(
  (field): field is Exclude<WrittenField, (typeof IDENTITY_FIELDS)[number]> =>
    !(GENERATED as readonly string[]).includes(field) &&
    !(IDENTITY_FIELDS as readonly string[]).includes(field),
);

export const columnName = (field: DeploymentField): string => DEPLOYMENT_COLUMNS[field][0];
export const columnType = (field: DeploymentField): SqlType => DEPLOYMENT_COLUMNS[field][1];

/**
 * Every column under Prisma's names, so a row read with node-postgres maps to a record through the
 * same toRecord (int8 columns arrive as strings; toRecord's Number() reads both).
 */
export const RECORD_SELECT = FIELDS.map((field) => {
  const column = columnName(field);
  return column === field ? column : `${column} AS "${field}"`;
}).join(', ');

/** A row's value as a SQL parameter or JSON (a bigint as its exact decimal text). */
export function sqlValue(value: DeploymentRow[WrittenField]): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * A row's value as a statement's parameter: a JSON column's document as its text (every driver
 * takes that), a time as its ISO text (node-postgres formats a Date by hand, with its offset).
 */
export function sqlParameter(field: WrittenField, value: DeploymentRow[WrittenField]): unknown {
  if (value instanceof Date) return value.toISOString();
  if (columnType(field) === 'jsonb') return value === null ? null : JSON.stringify(value);
  return sqlValue(value);
}
