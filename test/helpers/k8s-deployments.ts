import type { KubeObject } from './kube-apiserver.ts';

export interface App {
  namespace: string;
  name: string;
  replicas?: number;
  /** `deployledger.dev/*` annotations, if the app links itself to a record. */
  annotations?: Record<string, string>;
}

/** An app in `team-<n>` whose annotations name the record `<n>00-1` of acme/shop's `env-<n>`. */
export function linkedApp(n: number): App {
  return {
    namespace: `team-${n}`,
    name: 'web',
    annotations: {
      'deployledger.dev/repository': 'acme/shop',
      'deployledger.dev/environment': `env-${n}`,
      'deployledger.dev/key': `${n}00-1`,
    },
  };
}

export interface Rollout {
  /** The image being rolled out, e.g. `ghcr.io/acme/shop:<sha>`. */
  image: string;
  /** The image running before, from the previous revision. */
  previousImage: string;
  /** The rollout's revision (`deployment.kubernetes.io/revision`); the previous one is revision - 1. */
  revision: number;
  /** When the rollout started; later steps are a few seconds apart. */
  startedAt: Date;
}

/**
 * A Deployment object shaped like `kubectl get deployment <name> -o json`, at each step of a
 * RollingUpdate (maxSurge 25%, maxUnavailable 25%) of 3 replicas, as the deployment controller
 * writes its status.
 */
export function rolloutSteps(app: App, rollout: Rollout) {
  const replicas = app.replicas ?? 3;
  const at = (seconds: number) => iso(new Date(rollout.startedAt.getTime() + seconds * 1000));
  const generation = rollout.revision;
  const oldRs = `${app.name}-${hash(rollout.previousImage)}`;
  const newRs = `${app.name}-${hash(rollout.image)}`;
  const created = at(-3600);
  const base = (image: string, revision: number, gen: number) =>
    deployment(app, { image, revision, generation: gen, created });
  // The previous revision was applied without this rollout's deployledger annotations.
  const { annotations: _linkedOnlyFromNowOn, ...unlinked } = app;
  const available = (since: string) =>
    condition(
      'Available',
      'True',
      'MinimumReplicasAvailable',
      'Deployment has minimum availability.',
      since,
      since,
    );

  /** The previous revision, fully rolled out: what the cluster ran before. */
  const previous: KubeObject = {
    ...deployment(unlinked, {
      image: rollout.previousImage,
      revision: rollout.revision - 1,
      generation: generation - 1,
      created,
    }),
    status: {
      availableReplicas: replicas,
      conditions: [
        available(created),
        condition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${oldRs}" has successfully progressed.`,
          created,
          at(-3500),
        ),
      ],
      observedGeneration: generation - 1,
      readyReplicas: replicas,
      replicas,
      updatedReplicas: replicas,
    },
  };
  /** `kubectl apply` changed the image; the controller has not looked yet (revision unchanged). */
  const specUpdated: KubeObject = {
    ...base(rollout.image, rollout.revision - 1, generation),
    status: previous.status,
  };
  const progressing = (updated: number, total: number, availableCount: number, time: string): KubeObject => ({
    ...base(rollout.image, rollout.revision, generation),
    status: {
      availableReplicas: availableCount,
      conditions: [
        available(created),
        condition(
          'Progressing',
          'True',
          'ReplicaSetUpdated',
          `ReplicaSet "${newRs}" is progressing.`,
          created,
          time,
        ),
      ],
      observedGeneration: generation,
      readyReplicas: availableCount,
      replicas: total,
      unavailableReplicas: total - availableCount,
      updatedReplicas: updated,
    },
  });
  const completedAt = at(42);
  const complete: KubeObject = {
    ...base(rollout.image, rollout.revision, generation),
    status: {
      availableReplicas: replicas,
      conditions: [
        available(created),
        condition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${newRs}" has successfully progressed.`,
          created,
          completedAt,
        ),
      ],
      observedGeneration: generation,
      readyReplicas: replicas,
      replicas,
      updatedReplicas: replicas,
    },
  };
  const deadlineExceededAt = at(600);
  const deadlineExceeded: KubeObject = {
    ...base(rollout.image, rollout.revision, generation),
    status: {
      availableReplicas: replicas,
      conditions: [
        available(created),
        condition(
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${newRs}" has timed out progressing.`,
          deadlineExceededAt,
          deadlineExceededAt,
        ),
      ],
      observedGeneration: generation,
      readyReplicas: replicas,
      replicas: replicas + 1,
      unavailableReplicas: 1,
      updatedReplicas: 1,
    },
  };
  return {
    previous,
    specUpdated,
    /** The new ReplicaSet's first pod is up but not ready: 1 of 3 updated. */
    firstNewPod: progressing(1, replicas + 1, replicas, at(2)),
    /** All pods updated, one old pod still terminating. */
    oldPodTerminating: progressing(replicas, replicas + 1, replicas, at(20)),
    /** Old pods gone, the last new pod not yet available. */
    lastPodStarting: progressing(replicas, replicas, replicas - 1, at(30)),
    complete,
    /** When the rollout completed: the Progressing condition's lastUpdateTime in `complete`. */
    completedAt,
    deadlineExceeded,
    deadlineExceededAt,
  };
}

function deployment(
  app: App,
  spec: { image: string; revision: number; generation: number; created: string },
): KubeObject {
  const labels = { app: app.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      annotations: { 'deployment.kubernetes.io/revision': String(spec.revision), ...app.annotations },
      creationTimestamp: spec.created,
      generation: spec.generation,
      labels,
      name: app.name,
      namespace: app.namespace,
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: app.replicas ?? 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: labels },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { creationTimestamp: null, labels },
        spec: {
          containers: [
            {
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              name: app.name,
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    },
  };
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  transition: string,
  update: string,
) {
  return { lastTransitionTime: transition, lastUpdateTime: update, message, reason, status, type };
}

/** Kubernetes times have second precision. */
function iso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function hash(text: string): string {
  let h = 0;
  for (const char of text) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  return h.toString(36).slice(0, 10);
}
