import type { Signal, State } from '../ledger/index.ts';
import { objectRef, type WorkloadObject } from './correlation.ts';
import type { RolloutStatus } from './rollout-status.ts';
import type { WorkloadKind } from './workload-kinds.ts';

/** One observed step of one rollout, and the signal that reports it. */
export interface RolloutObservation {
  status: RolloutStatus;
  /**
   * Identifies the step: the cluster, the object (uid), the rollout (revision) and the step (with its stage,
   * when a step recurs within a rollout). A resync, a relist, a scale or a second replica seeing
   * the same thing yields the same key, so the step is reported once. (Not the generation: a
   * scale bumps it without a new rollout.)
   */
  key: string;
  signal: Signal;
}

const STATE_BY_OUTCOME: Record<RolloutStatus['outcome'], State> = {
  waiting: 'in_progress',
  complete: 'success',
  failed: 'failure',
};

export function observeRollout(
  cluster: string,
  kind: WorkloadKind,
  object: WorkloadObject,
  now: Date = new Date(),
): RolloutObservation {
  const status = kind.status(object);
  const ref = objectRef(object);
  const revision = kind.revision(object);
  const stage = status.stage === undefined ? '' : `:${status.stage}`;
  const key = `${cluster}/${object.metadata?.uid ?? `${ref.namespace}/${ref.name}`}:${revision ?? '-'}:${status.step}${stage}`;
  const observed = (object as { status?: { observedGeneration?: number | string } }).status
    ?.observedGeneration;
  const signal: Signal = {
    source: 'k8s',
    state: STATE_BY_OUTCOME[status.outcome],
    at: signalTime(kind, object, status, now),
    k8s: { ...ref, revision },
    workload: { cluster, kind: kind.kind, ...ref, revision, step: status.step, observation: key },
    reason: status.step,
    detail: {
      cluster,
      kind: kind.kind,
      namespace: ref.namespace,
      name: ref.name,
      revision,
      generation: object.metadata?.generation ?? null,
      observed_generation: observed ?? null,
      step: status.step,
      message: status.message,
      observation: key,
    },
  };
  return { status, key, signal };
}

/**
 * A finished rollout is dated by the cluster when it says (a Deployment's or Rollout's
 * Progressing condition), so a rollout that finished while we were not watching keeps its true
 * time; otherwise, and for a waiting step, by when we saw it.
 */
function signalTime(kind: WorkloadKind, object: WorkloadObject, status: RolloutStatus, now: Date): Date {
  if (status.outcome === 'complete') return kind.completedAt(object) ?? now;
  if (status.outcome === 'failed') return kind.failedAt(object) ?? now;
  return now;
}
