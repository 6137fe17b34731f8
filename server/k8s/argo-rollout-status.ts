import type { V1ObjectMeta } from '@kubernetes/client-node';
import { type Condition, complete, conditionTime, type RolloutStatus, waiting } from './rollout-status.ts';

/** The parts of an `argoproj.io/v1alpha1` Rollout the watcher reads (the CRD's JSON names). */
export interface ArgoRollout {
  metadata?: V1ObjectMeta;
  spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } };
  status?: {
    /** A string in the Rollout CRD (a number written as text since v0.10). */
    observedGeneration?: string;
    phase?: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded';
    message?: string;
    abort?: boolean;
    controllerPause?: boolean;
    pauseConditions?: Array<{ reason?: string; startTime?: string }>;
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    conditions?: Condition[];
  };
}

/**
 * A Rollout's status as `kubectl argo rollouts status` decides it (argo-rollouts
 * utils/rollout/rolloututil.go GetRolloutPhase, and the status command, which stops at Healthy or
 * Degraded): the spec observed; not being unpaused; then the phase the controller computed.
 * Healthy completes once the stable ReplicaSet is the current one (the new pods were promoted);
 * Degraded — an abort, a failed analysis, a progress deadline — fails; Paused (a canary pause
 * step, a manual pause) waits, with the reason, once per step. Needs Argo Rollouts 1.0 or later
 * (the controller reports the phase).
 */
export function argoRolloutStatus(rollout: ArgoRollout): RolloutStatus {
  const status = rollout.status ?? {};
  if (!generationObserved(rollout)) {
    return waiting('spec_update_pending', 'Progressing - waiting for rollout spec update to be observed');
  }
  if (status.controllerPause && (status.pauseConditions ?? []).length === 0) {
    return waiting('unpausing', 'Progressing - waiting for rollout to unpause');
  }
  const printed = status.message ? `${status.phase} - ${status.message}` : (status.phase ?? 'Progressing');
  if (status.abort) return { step: 'aborted', outcome: 'failed', message: printed };
  switch (status.phase) {
    case 'Degraded':
      return { step: 'degraded', outcome: 'failed', message: printed };
    case 'Paused':
      return waiting('paused', printed, `step ${status.currentStepIndex ?? '-'}`);
    case 'Healthy':
      if (status.stableRS && status.stableRS === status.currentPodHash) return complete('Healthy');
      return waiting('awaiting_stable', 'Progressing - waiting for the new ReplicaSet to become stable');
    default:
      return waiting('progressing', status.phase ? printed : 'Progressing - waiting for the controller');
  }
}

/** As GetRolloutPhase reads `status.observedGeneration`: text that is no number counts as observed. */
function generationObserved(rollout: ArgoRollout): boolean {
  const observed = Number.parseInt(rollout.status?.observedGeneration ?? '', 10);
  if (Number.isNaN(observed)) return true;
  return observed >= (rollout.metadata?.generation ?? 0);
}

/** The Rollout's revision (`rollout.argoproj.io/revision`, the new ReplicaSet's). */
export function argoRolloutRevision(rollout: ArgoRollout): string | null {
  return rollout.metadata?.annotations?.['rollout.argoproj.io/revision'] ?? null;
}

const progressing = (rollout: ArgoRollout) =>
  rollout.status?.conditions?.find((condition) => condition.type === 'Progressing');

/** When the rollout completed: the Progressing condition's time once its reason is NewReplicaSetAvailable. */
export function argoRolloutCompletedAt(rollout: ArgoRollout): Date | null {
  const condition = progressing(rollout);
  return condition?.reason === 'NewReplicaSetAvailable' && condition.status === 'True'
    ? conditionTime(condition)
    : null;
}

/** When the rollout was aborted or gave up (the Progressing condition says RolloutAborted or ProgressDeadlineExceeded). */
export function argoRolloutFailedAt(rollout: ArgoRollout): Date | null {
  const condition = progressing(rollout);
  return condition?.reason === 'RolloutAborted' || condition?.reason === 'ProgressDeadlineExceeded'
    ? conditionTime(condition)
    : null;
}
