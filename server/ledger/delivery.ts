import { type NewDeployment, supersedeSignal } from './create.ts';
import { runKey } from './run-key.ts';
import { isActive } from './states.ts';
import type { DeliveredDeployment, DeploymentRecord, Signal } from './types.ts';

/** The key a record opened from a delivery gets: its run's key when it has one, else `gh-<id>`. */
export function deliveryKey(delivered: DeliveredDeployment): string {
  return delivered.runId !== null && delivered.runAttempt !== null
    ? runKey(delivered.runId, delivered.runAttempt)
    : `gh-${delivered.githubDeploymentId}`;
}

/** How a delivery that matches no record opens one. */
export interface DeliveryOpening {
  request: NewDeployment;
  /** The record's first timeline event. */
  opening: Signal;
  /** The environment's active record, retired first because this deployment is newer. */
  supersede: { record: DeploymentRecord; signal: Signal } | null;
  /**
   * What the delivery said, applied after opening when the record opened already `inactive`
   * (a newer deployment was active): it stays on the timeline.
   */
  afterwards: Signal | null;
}

/**
 * A delivery never refuses: a newer deployment (by GitHub's own time) supersedes the active one;
 * an older one arriving late opens already `inactive`, superseded by the active one.
 */
export function openFromDelivery(
  delivered: DeliveredDeployment,
  signal: Signal,
  active: DeploymentRecord | null,
  id: string,
): DeliveryOpening {
  const key = deliveryKey(delivered);
  const competing = isActive(signal.state) ? active : null;
  const late = competing !== null && delivered.createdAt < competing.createdAt;
  const request: NewDeployment = {
    repository: delivered.repository,
    environment: delivered.environment,
    repositoryId: delivered.repositoryId ?? null,
    key,
    sha: delivered.sha,
    ref: delivered.ref,
    state: late ? 'inactive' : signal.state,
    runId: delivered.runId,
    runAttempt: delivered.runAttempt,
    githubDeploymentId: delivered.githubDeploymentId,
    environmentUrl: signal.environmentUrl ?? null,
    logUrl: signal.logUrl ?? null,
    description: signal.description ?? null,
    metricsEndpoint: null,
    k8s: null,
    fingerprint: null,
    createdAt: delivered.createdAt,
  };
  if (competing && late) {
    return {
      request,
      opening: { ...supersedeSignal('webhook', competing, delivered.createdAt), reason: 'superseded' },
      supersede: null,
      afterwards: signal,
    };
  }
  return {
    request,
    opening: { ...signal, reason: 'created' },
    supersede: competing
      ? { record: competing, signal: supersedeSignal('webhook', { id, key }, delivered.createdAt) }
      : null,
    afterwards: null,
  };
}
