import type { DeploymentKind, DeploymentRecord, K8sRollouts, State } from '../ledger/index.ts';
import type { DeploymentRow } from './deployment-columns.ts';
import { type Deployment, Prisma } from './generated/client.ts';

// Both directions name every field: toRecord builds a complete record (optional fields included)
// and toRow every written column (deployment-columns.ts), so a field or column added on one side
// and not mapped fails typecheck.

export function toRecord(row: Deployment): DeploymentRecord {
  const record: Required<DeploymentRecord> = {
    id: row.id,
    repository: row.repository,
    environment: row.environment,
    repositoryId: toNumber(row.repositoryId),
    key: row.key,
    sha: row.sha,
    ref: row.ref,
    state: row.state as State,
    kind: row.kind as DeploymentKind,
    runId: toNumber(row.runId),
    runAttempt: row.runAttempt,
    githubDeploymentId: toNumber(row.githubDeploymentId),
    k8s:
      row.k8sNamespace && row.k8sName
        ? { namespace: row.k8sNamespace, name: row.k8sName, revision: row.k8sRevision }
        : null,
    k8sRollouts: rolloutsOf(row.k8sRollouts),
    environmentUrl: row.environmentUrl,
    logUrl: row.logUrl,
    description: row.description,
    metricsEndpoint: row.metricsEndpoint,
    fingerprint: row.fingerprint,
    commitAt: row.commitAt,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    deployedAt: row.deployedAt,
    completedAt: row.completedAt,
    updatedAt: row.updatedAt,
  };
  return record;
}

export function toRow(record: DeploymentRecord): DeploymentRow {
  return {
    id: record.id,
    repository: record.repository,
    environment: record.environment,
    repositoryId: toBigInt(record.repositoryId ?? null),
    key: record.key,
    sha: record.sha,
    ref: record.ref,
    state: record.state,
    kind: record.kind,
    runId: toBigInt(record.runId),
    runAttempt: record.runAttempt,
    githubDeploymentId: toBigInt(record.githubDeploymentId),
    k8sNamespace: record.k8s?.namespace ?? null,
    k8sName: record.k8s?.name ?? null,
    k8sRevision: record.k8s?.revision ?? null,
    k8sRollouts: rolloutsJson(record),
    environmentUrl: record.environmentUrl,
    logUrl: record.logUrl,
    description: record.description,
    metricsEndpoint: record.metricsEndpoint,
    fingerprint: record.fingerprint,
    commitAt: record.commitAt ?? null,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    deployedAt: record.deployedAt,
    completedAt: record.completedAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * What a decision may change on a stored row: everything but its identity. Names are respelled
 * and repository ids learnt only by repository-names.ts, for every record of a repository at once.
 */
export function toUpdate(record: DeploymentRecord): Prisma.DeploymentUncheckedUpdateInput {
  const { id: _id, repository: _r, environment: _e, repositoryId: _ri, key: _k, ...rest } = toCreate(record);
  return rest;
}

/** The row as Prisma writes it: a JSON column's null is Prisma's DbNull (SQL NULL). */
export function toCreate(record: DeploymentRecord): Prisma.DeploymentUncheckedCreateInput {
  const row = toRow(record);
  return { ...row, k8sRollouts: (row.k8sRollouts as Prisma.InputJsonValue | null) ?? Prisma.DbNull };
}

function toNumber(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

function toBigInt(value: number | null): bigint | null {
  return value === null ? null : BigInt(value);
}

/** The stored rollouts document (dates as ISO text), as node-postgres or Prisma read it. */
function rolloutsOf(value: unknown): K8sRollouts | null {
  if (value === null || value === undefined) return null;
  const stored = (typeof value === 'string' ? JSON.parse(value) : value) as K8sRollouts;
  return {
    workloads: stored.workloads ?? [],
    clusters: stored.clusters ?? [],
    progress: (stored.progress ?? []).map((p) => ({ ...p, at: new Date(p.at) })),
  };
}

/**
 * The rollouts document to store: plain JSON, dates as ISO text (null: none). Built, not
 * stringified and parsed back: the batch writer stringifies every row once more, and a
 * release's document is most of a watcher row's work. Its parts are shared, never changed.
 */
function rolloutsJson(record: DeploymentRecord): Prisma.JsonValue {
  const rollouts = record.k8sRollouts;
  if (!rollouts) return null;
  const { workloads, clusters, progress } = rollouts;
  return {
    workloads: workloads as unknown as Prisma.JsonArray,
    clusters,
    progress: progress.map((p) => ({ ...p, at: p.at.toISOString() })) as unknown as Prisma.JsonArray,
  };
}
