import type { App } from './k8s-deployments.ts';
import type { KubeObject } from './kube-apiserver.ts';

/** Kubernetes times have second precision. */
const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

function metadata(app: App, generation: number, annotations: Record<string, string> = {}) {
  return {
    name: app.name,
    namespace: app.namespace,
    generation,
    labels: { app: app.name },
    annotations: { ...annotations, ...app.annotations },
    creationTimestamp: '2026-11-27T08:00:00Z',
  };
}

function template(app: App, image: string) {
  return {
    metadata: { labels: { app: app.name } },
    spec: { containers: [{ name: app.name, image, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
  };
}

/**
 * A StatefulSet of 3 replicas rolled from `previousImage` to `image`, as the StatefulSet
 * controller writes its status: RollingUpdate (ordinals updated from the highest down), with an
 * optional partition (only ordinals ≥ partition are updated), or OnDelete (pods replaced only as
 * someone deletes them).
 */
export function statefulSetSteps(
  app: App,
  rollout: { image: string; partition?: number; onDelete?: boolean },
) {
  const replicas = app.replicas ?? 3;
  const oldRevision = `${app.name}-5d4f8b7c9`;
  const newRevision = `${app.name}-7c6d9f8b4`;
  const updateStrategy = rollout.onDelete
    ? { type: 'OnDelete' }
    : { type: 'RollingUpdate', rollingUpdate: { partition: rollout.partition ?? 0 } };
  const object = (status: Record<string, unknown>, generation = 2): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(app, generation),
    spec: {
      replicas,
      serviceName: app.name,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { app: app.name } },
      template: template(app, rollout.image),
      updateStrategy,
    },
    status: { replicas, availableReplicas: replicas, collisionCount: 0, ...status },
  });
  const at = (updated: number, ready: number, current = replicas - updated) =>
    object({
      observedGeneration: 2,
      readyReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      currentRevision: oldRevision,
      updateRevision: newRevision,
    });
  const target = replicas - (rollout.partition ?? 0);
  return {
    specUpdated: object(
      {
        observedGeneration: 1,
        readyReplicas: replicas,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        currentRevision: oldRevision,
        updateRevision: oldRevision,
      },
      2,
    ),
    /** The highest ordinal was replaced and is starting. */
    firstPodStarting: at(1, replicas - 1),
    /** As many pods updated as the partition lets through, all ready. */
    stageDone: at(target, replicas),
    /** Every pod at the update revision; RollingUpdate without partition makes it current. */
    complete: rollout.onDelete
      ? at(replicas, replicas, 0)
      : object({
          observedGeneration: 2,
          readyReplicas: replicas,
          currentReplicas: replicas,
          updatedReplicas: replicas,
          currentRevision: newRevision,
          updateRevision: newRevision,
        }),
    newRevision,
  };
}

/** A DaemonSet on 4 nodes rolled to `image` (RollingUpdate, maxUnavailable 1). */
export function daemonSetSteps(app: App, rollout: { image: string }) {
  const nodes = 4;
  const object = (generation: number, status: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: metadata(app, generation, { 'deprecated.daemonset.template.generation': String(generation) }),
    spec: {
      selector: { matchLabels: { app: app.name } },
      template: template(app, rollout.image),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    },
    status: {
      currentNumberScheduled: nodes,
      desiredNumberScheduled: nodes,
      numberMisscheduled: 0,
      ...status,
    },
  });
  const at = (updated: number, available: number) =>
    object(5, {
      observedGeneration: 5,
      numberReady: available,
      numberAvailable: available,
      numberUnavailable: nodes - available,
      updatedNumberScheduled: updated,
    });
  return {
    specUpdated: object(5, {
      observedGeneration: 4,
      numberReady: nodes,
      numberAvailable: nodes,
      updatedNumberScheduled: nodes,
    }),
    halfUpdated: at(2, 3),
    lastPodStarting: at(nodes, nodes - 1),
    complete: at(nodes, nodes),
  };
}

/**
 * An Argo Rollout (canary: setWeight 25, pause until promoted, setWeight 75, pause 30s) of 4
 * replicas rolled to `image`, as the Argo Rollouts controller (1.x) writes its status: phase and
 * message, the canary step, the pod template hash of the new and of the stable ReplicaSet.
 */
export function argoRolloutSteps(app: App, rollout: { image: string; startedAt: Date }) {
  const replicas = 4;
  const stableHash = '6d8f7b9c5';
  const canaryHash = '84c7d5f6b';
  const at = (seconds: number) => iso(new Date(rollout.startedAt.getTime() + seconds * 1000));
  const progressing = (reason: string, status: string, time: string) => ({
    type: 'Progressing',
    status,
    reason,
    message: reason,
    lastUpdateTime: time,
    lastTransitionTime: time,
  });
  const object = (status: Record<string, unknown>, generation = 3): KubeObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: metadata(app, generation, { 'rollout.argoproj.io/revision': '3' }),
    spec: {
      replicas,
      selector: { matchLabels: { app: app.name } },
      template: template(app, rollout.image),
      strategy: {
        canary: {
          steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: { duration: '30s' } }],
        },
      },
    },
    status: {
      replicas,
      availableReplicas: replicas,
      readyReplicas: replicas,
      observedGeneration: String(generation),
      currentPodHash: canaryHash,
      stableRS: stableHash,
      ...status,
    },
  });
  return {
    specUpdated: object({ observedGeneration: '2', currentPodHash: stableHash, phase: 'Healthy' }),
    progressing: object({
      phase: 'Progressing',
      message: 'more replicas need to be updated',
      currentStepIndex: 0,
      updatedReplicas: 0,
      conditions: [progressing('ReplicaSetUpdated', 'True', at(1))],
    }),
    /** Paused at the canary's first pause step, waiting to be promoted. */
    paused: object({
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 1,
      updatedReplicas: 1,
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: at(10) }],
      conditions: [progressing('RolloutPaused', 'Unknown', at(10))],
    }),
    /** Paused again at the second pause step. */
    pausedAgain: object({
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 3,
      updatedReplicas: 3,
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: at(40) }],
      conditions: [progressing('RolloutPaused', 'Unknown', at(40))],
    }),
    complete: object({
      phase: 'Healthy',
      currentStepIndex: 4,
      updatedReplicas: replicas,
      stableRS: canaryHash,
      conditions: [progressing('NewReplicaSetAvailable', 'True', at(75))],
    }),
    completedAt: at(75),
    aborted: object({
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 3',
      abort: true,
      currentStepIndex: 0,
      updatedReplicas: 0,
      conditions: [progressing('RolloutAborted', 'False', at(20))],
    }),
    abortedAt: at(20),
  };
}
