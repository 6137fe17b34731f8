import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { completedAt, deploymentStatus, failedAt } from '../../server/k8s/deployment-status.ts';
import { rolloutSteps } from '../helpers/k8s-deployments.ts';

const steps = rolloutSteps(
  { namespace: 'shop', name: 'web' },
  { image: 'shop:new', previousImage: 'shop:old', revision: 2, startedAt: new Date('2026-11-27T10:00:00Z') },
);
const asDeployment = (object: unknown) => object as V1Deployment;
const status = (object: unknown) => deploymentStatus(asDeployment(object));

describe('deploymentStatus (as kubectl rollout status decides)', () => {
  it('walks a rolling update through every waiting step to complete', () => {
    expect(
      [
        steps.specUpdated,
        steps.firstNewPod,
        steps.oldPodTerminating,
        steps.lastPodStarting,
        steps.complete,
      ].map((object) => status(object).step),
    ).toEqual([
      'spec_update_pending',
      'updating_replicas',
      'terminating_old_replicas',
      'awaiting_availability',
      'complete',
    ]);
    expect(status(steps.firstNewPod).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(status(steps.oldPodTerminating).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
    );
    expect(status(steps.lastPodStarting).message).toBe(
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
    );
    expect(status(steps.complete)).toEqual({
      step: 'complete',
      outcome: 'complete',
      message: 'deployment "web" successfully rolled out',
    });
  });

  it('does not trust a complete-looking status computed for an older generation', () => {
    // The status still says all 3 replicas are updated and available — for the old spec.
    expect(steps.specUpdated.status.updatedReplicas).toBe(3);
    expect(status(steps.specUpdated).outcome).toBe('waiting');
  });

  it('fails on ProgressDeadlineExceeded, but only once the generation is observed', () => {
    expect(status(steps.deadlineExceeded)).toMatchObject({
      step: 'progress_deadline_exceeded',
      outcome: 'failed',
      message: 'deployment "web" exceeded its progress deadline',
    });
    const unobserved = structuredClone(steps.deadlineExceeded);
    unobserved.metadata.generation = 3;
    expect(status(unobserved).step).toBe('spec_update_pending');
  });

  it('treats omitted counters as zero, as the API omits zero values', () => {
    const fresh = structuredClone(steps.firstNewPod) as { status: Record<string, unknown> };
    delete fresh.status.availableReplicas;
    delete fresh.status.updatedReplicas;
    expect(status(fresh).message).toBe(
      'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...',
    );
  });

  it('is complete for a deployment scaled to zero', () => {
    const zero = structuredClone(steps.complete);
    zero.spec.replicas = 0;
    zero.status = { observedGeneration: zero.metadata.generation, conditions: zero.status.conditions };
    expect(status(zero).outcome).toBe('complete');
  });
});

describe('rollout times', () => {
  it('dates completion by the Progressing condition once its reason is NewReplicaSetAvailable', () => {
    expect(completedAt(asDeployment(steps.complete))?.toISOString()).toBe('2026-11-27T10:00:42.000Z');
    // Mid-rollout the condition says ReplicaSetUpdated: no completion time yet.
    expect(completedAt(asDeployment(steps.lastPodStarting))).toBeNull();
  });

  it('accepts the Date objects the typed list API gives as well as the watch stream strings', () => {
    const typed = structuredClone(steps.complete) as unknown as V1Deployment;
    const condition = typed.status?.conditions?.find((c) => c.type === 'Progressing');
    if (condition) condition.lastUpdateTime = new Date('2026-11-27T10:00:42Z');
    expect(completedAt(typed)?.toISOString()).toBe('2026-11-27T10:00:42.000Z');
  });

  it('dates a failure by when the controller declared the deadline exceeded', () => {
    expect(failedAt(asDeployment(steps.deadlineExceeded))?.toISOString()).toBe('2026-11-27T10:10:00.000Z');
  });
});
