import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../server/k8s/workload-kinds.ts';
import { argoRolloutSteps, daemonSetSteps, statefulSetSteps } from '../helpers/k8s-workloads.ts';

const app = { namespace: 'shop', name: 'db' };
const statusOf = (kind: keyof typeof WORKLOADS, object: object) => WORKLOADS[kind].status(object);
const steps = (kind: keyof typeof WORKLOADS, objects: object[]) =>
  objects.map((object) => {
    const { step, outcome } = statusOf(kind, object);
    return `${step}/${outcome}`;
  });

describe('StatefulSet rollout status (as kubectl rollout status decides)', () => {
  it('walks a RollingUpdate: spec observed, every pod ready, the update revision current', () => {
    const sts = statefulSetSteps(app, { image: 'db:new' });
    expect(steps('StatefulSet', [sts.specUpdated, sts.firstPodStarting, sts.complete])).toEqual([
      'spec_update_pending/waiting',
      'awaiting_readiness/waiting',
      'complete/complete',
    ]);
    expect(statusOf('StatefulSet', sts.firstPodStarting).message).toBe('Waiting for 1 pods to be ready...');
  });

  it('with a partition, counts only the pods at or above it: the stage completes', () => {
    const sts = statefulSetSteps(app, { image: 'db:new', partition: 2 });
    const waitingForStage = structuredClone(sts.stageDone);
    waitingForStage.status.updatedReplicas = 0;
    expect(statusOf('StatefulSet', waitingForStage)).toEqual({
      step: 'updating_replicas',
      outcome: 'waiting',
      message: 'Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...',
    });
    // One of three pods updated, two still at the old revision: the partitioned rollout is done.
    expect(sts.stageDone.status.currentRevision).not.toBe(sts.stageDone.status.updateRevision);
    expect(statusOf('StatefulSet', sts.stageDone)).toEqual({
      step: 'complete',
      outcome: 'complete',
      message: 'partitioned roll out complete: 1 new pods have been updated...',
    });
  });

  it('without rollingUpdate settings, waits for the update revision to become the current one', () => {
    const sts = statefulSetSteps(app, { image: 'db:new' });
    const bare = structuredClone(sts.stageDone);
    delete bare.spec.updateStrategy.rollingUpdate;
    expect(statusOf('StatefulSet', bare).step).toBe('updating_replicas');
    const done = structuredClone(sts.complete);
    delete done.spec.updateStrategy.rollingUpdate;
    expect(statusOf('StatefulSet', done).message).toBe(
      `statefulset rolling update complete 3 pods at revision ${sts.newRevision}...`,
    );
  });

  it('OnDelete: complete when every pod runs the update revision, though it never became current', () => {
    const sts = statefulSetSteps(app, { image: 'db:new', onDelete: true });
    expect(steps('StatefulSet', [sts.specUpdated, sts.firstPodStarting, sts.complete])).toEqual([
      'spec_update_pending/waiting',
      'updating_replicas/waiting',
      'complete/complete',
    ]);
    expect(sts.complete.status.currentRevision).not.toBe(sts.complete.status.updateRevision);
  });
});

describe('DaemonSet rollout status', () => {
  it('waits for the spec, every node updated, every updated pod available', () => {
    const ds = daemonSetSteps(app, { image: 'agent:new' });
    expect(steps('DaemonSet', [ds.specUpdated, ds.halfUpdated, ds.lastPodStarting, ds.complete])).toEqual([
      'spec_update_pending/waiting',
      'updating_replicas/waiting',
      'awaiting_availability/waiting',
      'complete/complete',
    ]);
    expect(statusOf('DaemonSet', ds.halfUpdated).message).toBe(
      'Waiting for daemon set "db" rollout to finish: 2 out of 4 new pods have been updated...',
    );
    expect(WORKLOADS.DaemonSet.revision(ds.complete)).toBe('5');
  });
});

describe('Argo Rollout status (as kubectl argo rollouts status decides)', () => {
  const ro = argoRolloutSteps(app, { image: 'shop:new', startedAt: new Date('2026-11-27T10:00:00Z') });

  it('walks a canary: spec observed, progressing, paused at each pause step, healthy once stable', () => {
    expect(
      steps('Rollout', [
        ro.specUpdated,
        ro.progressing,
        ro.paused,
        ro.progressing,
        ro.pausedAgain,
        ro.complete,
      ]),
    ).toEqual([
      'spec_update_pending/waiting',
      'progressing/waiting',
      'paused/waiting',
      'progressing/waiting',
      'paused/waiting',
      'complete/complete',
    ]);
    expect(statusOf('Rollout', ro.paused)).toMatchObject({
      message: 'Paused - CanaryPauseStep',
      stage: 'step 1',
    });
    expect(statusOf('Rollout', ro.pausedAgain).stage).toBe('step 3');
    expect(WORKLOADS.Rollout.completedAt(ro.complete)?.toISOString()).toBe('2026-11-27T10:01:15.000Z');
  });

  it('is not complete while Healthy describes the old stable ReplicaSet', () => {
    const stale = structuredClone(ro.complete);
    stale.status.stableRS = 'something-older';
    expect(statusOf('Rollout', stale).step).toBe('awaiting_stable');
  });

  it('fails when aborted or degraded, dated by the controller', () => {
    expect(statusOf('Rollout', ro.aborted)).toEqual({
      step: 'aborted',
      outcome: 'failed',
      message: 'Degraded - RolloutAborted: Rollout aborted update to revision 3',
    });
    expect(WORKLOADS.Rollout.failedAt(ro.aborted)?.toISOString()).toBe('2026-11-27T10:00:20.000Z');
    const degraded = structuredClone(ro.aborted);
    degraded.status.abort = false;
    degraded.status.message = 'ProgressDeadlineExceeded: Rollout "db" has timed out progressing.';
    expect(statusOf('Rollout', degraded)).toMatchObject({ step: 'degraded', outcome: 'failed' });
  });

  it('waits while a cleared pause is not yet seen by the controller', () => {
    const unpausing = structuredClone(ro.paused);
    unpausing.status.pauseConditions = [];
    expect(statusOf('Rollout', unpausing).step).toBe('unpausing');
  });
});
