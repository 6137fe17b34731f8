import type { TimelineEvent } from '../db/timeline.ts';
import type { DeploymentRecord, State } from '../ledger/index.ts';
import { redactDeep } from '../redact.ts';
import type { DeploymentJson } from './wire.ts';

/** The record as the API shows it (the contract's JSON names; the type is derived in wire.ts). */
export function presentDeployment(record: DeploymentRecord): DeploymentJson {
  return {
    id: record.id,
    repository: record.repository,
    environment: record.environment,
    key: record.key,
    sha: record.sha,
    ref: record.ref,
    state: record.state,
    run_id: record.runId,
    run_attempt: record.runAttempt,
    github_deployment_id: record.githubDeploymentId,
    k8s: record.k8s,
    k8s_rollouts: presentRollouts(record),
    environment_url: record.environmentUrl,
    log_url: record.logUrl,
    description: record.description,
    commit_at: iso(record.commitAt ?? null),
    created_at: iso(record.createdAt),
    started_at: iso(record.startedAt),
    deployed_at: iso(record.deployedAt),
    completed_at: iso(record.completedAt),
    updated_at: iso(record.updatedAt),
  };
}

/** What the record expects of Kubernetes and each workload's latest step per cluster. */
function presentRollouts(record: DeploymentRecord): DeploymentJson['k8s_rollouts'] {
  const rollouts = record.k8sRollouts;
  if (!rollouts) return null;
  return {
    workloads: rollouts.workloads.map(({ namespace, name }) => ({ namespace, name })),
    clusters: [...rollouts.clusters],
    progress: rollouts.progress.map((p) => ({ ...p, at: iso(p.at) })),
  };
}

export function presentEvent(event: TimelineEvent) {
  return {
    id: Number(event.id),
    source: event.source,
    // The timeline holds only states the core wrote, and an object of details.
    state: event.state as State | null,
    applied: event.applied,
    reason: event.reason,
    detail: redactDeep((event.detail ?? {}) as Record<string, unknown>),
    occurred_at: iso(event.occurredAt),
    received_at: iso(event.receivedAt),
  };
}

function iso(date: Date): string;
function iso(date: Date | null): string | null;
function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
