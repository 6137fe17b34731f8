import type { TimelineEvent } from '../db/timeline.ts';
import type { DeploymentRecord } from '../ledger/index.ts';
import { redactDeep } from '../redact.ts';

/** The record as the API shows it (the contract's JSON names). */
export function presentDeployment(record: DeploymentRecord) {
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

export function presentEvent(event: TimelineEvent) {
  return {
    id: Number(event.id),
    source: event.source,
    state: event.state,
    applied: event.applied,
    reason: event.reason,
    detail: redactDeep(event.detail ?? {}),
    occurred_at: iso(event.occurredAt),
    received_at: iso(event.receivedAt),
  };
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
