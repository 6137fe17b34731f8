import type { V1Deployment } from '@kubernetes/client-node';
import type { Signal, State } from '../ledger/index.ts';
import { objectRef } from './correlation.ts';
import { completedAt, failedAt, type RolloutStatus, rolloutStatus } from './rollout-status.ts';

/** One observed step of one rollout, and the signal that reports it. */
export interface RolloutObservation {
  status: RolloutStatus;
  /**
   * Identifies the step: the object (uid), the rollout (revision) and the step. A resync, a
   * relist, a scale or a second replica seeing the same thing yields the same key, so the
   * step is reported once. (Not the generation: a scale bumps it without a new rollout.)
   */
  key: string;
  signal: Signal;
}

export const ANNOTATION_REVISION = 'deployment.kubernetes.io/revision';

export function revisionOf(deployment: V1Deployment): string | null {
  return deployment.metadata?.annotations?.[ANNOTATION_REVISION] ?? null;
}

const STATE_BY_OUTCOME: Record<RolloutStatus['outcome'], State> = {
  waiting: 'in_progress',
  complete: 'success',
  failed: 'failure',
};

export function observeRollout(deployment: V1Deployment, now: Date = new Date()): RolloutObservation {
  const status = rolloutStatus(deployment);
  const ref = objectRef(deployment);
  const revision = revisionOf(deployment);
  const key = `${deployment.metadata?.uid ?? `${ref.namespace}/${ref.name}`}:${revision ?? '-'}:${status.step}`;
  const signal: Signal = {
    source: 'k8s',
    state: STATE_BY_OUTCOME[status.outcome],
    at: signalTime(deployment, status, now),
    k8s: { ...ref, revision },
    reason: status.step,
    detail: {
      namespace: ref.namespace,
      name: ref.name,
      revision,
      generation: deployment.metadata?.generation ?? null,
      observed_generation: deployment.status?.observedGeneration ?? null,
      step: status.step,
      message: status.message,
      observation: key,
    },
  };
  return { status, key, signal };
}

/**
 * A finished rollout is dated by the cluster (see completedAt), so a rollout that finished
 * while we were not watching keeps its true time; a waiting step by when we saw it.
 */
function signalTime(deployment: V1Deployment, status: RolloutStatus, now: Date): Date {
  if (status.outcome === 'complete') return completedAt(deployment) ?? now;
  if (status.outcome === 'failed') return failedAt(deployment) ?? now;
  return now;
}
