import type { V1StatefulSet } from '@kubernetes/client-node';
import { complete, type RolloutStatus, waiting } from './rollout-status.ts';

/**
 * A StatefulSet's rollout status as `kubectl rollout status` decides it (kubectl
 * pkg/polymorphichelpers/rollout_status.go, StatefulSetStatusViewer.Status): the spec observed;
 * every replica ready; then, for RollingUpdate with a partition, only the pods at or above the
 * partition need the update revision (a staged rollout is complete when its stage is: a
 * partitioned StatefulSet otherwise never "finishes", kubernetes#68573), else the update
 * revision must have become the current one. kubectl has no rollout status for OnDelete (the
 * controller replaces nothing itself): it is complete when every pod runs the update revision.
 */
export function statefulSetStatus(statefulSet: V1StatefulSet): RolloutStatus {
  const generation = statefulSet.metadata?.generation ?? 0;
  const spec = statefulSet.spec;
  const status = statefulSet.status ?? { replicas: 0 };
  const observed = status.observedGeneration ?? 0;
  if (observed === 0 || generation > observed) {
    return waiting('spec_update_pending', 'Waiting for statefulset spec update to be observed...');
  }
  // The API server defaults replicas to 1.
  const replicas = spec?.replicas ?? 1;
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const strategy = spec?.updateStrategy;
  if (strategy?.type === 'OnDelete') {
    if (updated < replicas && status.updateRevision !== status.currentRevision) {
      return waiting(
        'updating_replicas',
        `Waiting for pods to be deleted and recreated (OnDelete): ${updated} out of ${replicas} pods run revision ${status.updateRevision}...`,
      );
    }
    if (ready < replicas)
      return waiting('awaiting_readiness', `Waiting for ${replicas - ready} pods to be ready...`);
    return complete(`statefulset update complete: ${replicas} pods at revision ${status.updateRevision}`);
  }
  if (ready < replicas)
    return waiting('awaiting_readiness', `Waiting for ${replicas - ready} pods to be ready...`);
  if (strategy?.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (partition !== undefined && updated < replicas - partition) {
      return waiting(
        'updating_replicas',
        `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`,
      );
    }
    return complete(`partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  if (status.updateRevision !== status.currentRevision) {
    return waiting(
      'updating_replicas',
      `waiting for statefulset rolling update to complete ${updated} pods at revision ${status.updateRevision}...`,
    );
  }
  return complete(
    `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision}...`,
  );
}

/** The controller revision the StatefulSet is rolling out (`status.updateRevision`). */
export function statefulSetRevision(statefulSet: V1StatefulSet): string | null {
  return statefulSet.status?.updateRevision ?? null;
}
