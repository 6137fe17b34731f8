import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import {
  type ArgoRollout,
  argoRolloutCompletedAt,
  argoRolloutFailedAt,
  argoRolloutRevision,
  argoRolloutStatus,
} from './argo-rollout-status.ts';
import type { WorkloadObject } from './correlation.ts';
import { daemonSetRevision, daemonSetStatus } from './daemonset-status.ts';
import { completedAt, deploymentRevision, deploymentStatus, failedAt } from './deployment-status.ts';
import type { RolloutStatus } from './rollout-status.ts';
import { statefulSetRevision, statefulSetStatus } from './statefulset-status.ts';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Rollout'] as const;
export type WorkloadKindName = (typeof WORKLOAD_KINDS)[number];

/** A kind of workload the watcher follows: where the API serves it and how its rollout is read. */
export interface WorkloadKind {
  kind: WorkloadKindName;
  group: string;
  version: string;
  plural: string;
  /** A custom resource: served only where its CRD is installed (a 404 means "not here", not a failure). */
  optional: boolean;
  status(object: WorkloadObject): RolloutStatus;
  /** Identifies the rollout (one revision of the pod template). */
  revision(object: WorkloadObject): string | null;
  /** When the cluster says the rollout completed, or failed; null when it does not say. */
  completedAt(object: WorkloadObject): Date | null;
  failedAt(object: WorkloadObject): Date | null;
}

const never = () => null;

/** An `apps/v1` kind, read as its own type (the objects come off the wire as JSON). */
function apps<T>(
  kind: WorkloadKindName,
  plural: string,
  read: { status(object: T): RolloutStatus; revision(object: T): string | null },
  times: { completedAt(object: T): Date | null; failedAt(object: T): Date | null } = {
    completedAt: never,
    failedAt: never,
  },
): WorkloadKind {
  const as = (object: WorkloadObject) => object as T;
  return {
    kind,
    group: 'apps',
    version: 'v1',
    plural,
    optional: false,
    status: (object) => read.status(as(object)),
    revision: (object) => read.revision(as(object)),
    completedAt: (object) => times.completedAt(as(object)),
    failedAt: (object) => times.failedAt(as(object)),
  };
}

export const WORKLOADS: Record<WorkloadKindName, WorkloadKind> = {
  Deployment: apps<V1Deployment>(
    'Deployment',
    'deployments',
    { status: deploymentStatus, revision: deploymentRevision },
    { completedAt, failedAt },
  ),
  // Neither says when its rollout completed: the time the watcher saw it is used.
  StatefulSet: apps<V1StatefulSet>('StatefulSet', 'statefulsets', {
    status: statefulSetStatus,
    revision: statefulSetRevision,
  }),
  DaemonSet: apps<V1DaemonSet>('DaemonSet', 'daemonsets', {
    status: daemonSetStatus,
    revision: daemonSetRevision,
  }),
  Rollout: {
    kind: 'Rollout',
    group: 'argoproj.io',
    version: 'v1alpha1',
    plural: 'rollouts',
    optional: true,
    status: (object) => argoRolloutStatus(object as ArgoRollout),
    revision: (object) => argoRolloutRevision(object as ArgoRollout),
    completedAt: (object) => argoRolloutCompletedAt(object as ArgoRollout),
    failedAt: (object) => argoRolloutFailedAt(object as ArgoRollout),
  },
};

/** The API path of a kind's objects in a namespace, or in all namespaces (''). */
export function workloadPath(kind: WorkloadKind, namespace: string): string {
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${kind.group}/${kind.version}${scope}/${kind.plural}`;
}
