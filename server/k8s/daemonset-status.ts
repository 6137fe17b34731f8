import type { V1DaemonSet } from '@kubernetes/client-node';
import { complete, type RolloutStatus, waiting } from './rollout-status.ts';

/**
 * A DaemonSet's rollout status as `kubectl rollout status` decides it (kubectl
 * pkg/polymorphichelpers/rollout_status.go, DaemonSetStatusViewer.Status): the spec observed,
 * then as many updated pods, and as many available, as nodes should run one. kubectl refuses
 * OnDelete DaemonSets; the same counts say when every node's pod was replaced by hand.
 */
export function daemonSetStatus(daemonSet: V1DaemonSet): RolloutStatus {
  const name = daemonSet.metadata?.name ?? '';
  const generation = daemonSet.metadata?.generation ?? 0;
  const status = daemonSet.status;
  if (generation > (status?.observedGeneration ?? 0)) {
    return waiting('spec_update_pending', 'Waiting for daemon set spec update to be observed...');
  }
  const desired = status?.desiredNumberScheduled ?? 0;
  const updated = status?.updatedNumberScheduled ?? 0;
  const available = status?.numberAvailable ?? 0;
  if (updated < desired) {
    return waiting(
      'updating_replicas',
      `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  }
  if (available < desired) {
    return waiting(
      'awaiting_availability',
      `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    );
  }
  return complete(`daemon set "${name}" successfully rolled out`);
}

/**
 * The template generation the DaemonSet rolls out: the controller's
 * `deprecated.daemonset.template.generation` annotation, else the object's generation.
 */
export function daemonSetRevision(daemonSet: V1DaemonSet): string | null {
  const annotated = daemonSet.metadata?.annotations?.['deprecated.daemonset.template.generation'];
  const generation = daemonSet.metadata?.generation;
  return annotated ?? (generation === undefined ? null : String(generation));
}
