import type { V1Deployment, V1DeploymentCondition } from '@kubernetes/client-node';
import { complete, conditionTime, type RolloutStatus, waiting } from './rollout-status.ts';

/**
 * The rollout status exactly as `kubectl rollout status` decides it
 * (kubectl pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer.Status).
 * The generation check comes first: a status the controller computed for an older spec says
 * nothing about this one (Shopify/krane#325).
 */
export function deploymentStatus(deployment: V1Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) {
    return waiting('spec_update_pending', 'Waiting for deployment spec update to be observed...');
  }
  if (progressingCondition(deployment)?.reason === 'ProgressDeadlineExceeded') {
    return {
      step: 'progress_deadline_exceeded',
      outcome: 'failed',
      message: `deployment "${name}" exceeded its progress deadline`,
    };
  }
  const desired = deployment.spec?.replicas;
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (desired !== undefined && updated < desired) {
    return waiting(
      'updating_replicas',
      `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (replicas > updated) {
    return waiting(
      'terminating_old_replicas',
      `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    );
  }
  if (available < updated) {
    return waiting(
      'awaiting_availability',
      `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    );
  }
  return complete(`deployment "${name}" successfully rolled out`);
}

export function progressingCondition(deployment: V1Deployment): V1DeploymentCondition | undefined {
  return deployment.status?.conditions?.find((condition) => condition.type === 'Progressing');
}

/**
 * When the rollout completed, by the cluster's clock: the `Progressing` condition's
 * `lastUpdateTime` once its reason is `NewReplicaSetAvailable`. The deployment controller sets
 * that reason in the same status update that first reports the rollout complete, and leaves
 * the time alone afterwards (a later scale keeps it), so it is the completion time even when
 * we see it hours later. `Available` is not used: it turns true as soon as the minimum of
 * replicas is up (often mid-rollout, or long before it). Null when the cluster does not say
 * (no progress deadline, or a paused deployment).
 */
export function completedAt(deployment: V1Deployment): Date | null {
  const condition = progressingCondition(deployment);
  if (condition?.reason !== 'NewReplicaSetAvailable' || condition.status !== 'True') return null;
  return conditionTime(condition);
}

/** When the controller gave up on the rollout (ProgressDeadlineExceeded), if it says. */
export function failedAt(deployment: V1Deployment): Date | null {
  const condition = progressingCondition(deployment);
  if (condition?.reason !== 'ProgressDeadlineExceeded') return null;
  return conditionTime(condition);
}

/** The deployment controller's revision of the rollout (the new ReplicaSet's). */
export function deploymentRevision(deployment: V1Deployment): string | null {
  return deployment.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? null;
}
