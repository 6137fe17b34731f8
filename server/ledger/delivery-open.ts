import { type NewDeployment, supersedeSignal } from './create.ts';
import { isActive } from './states.ts';
import type { DeploymentRecord, Observation, Signal } from './types.ts';

/** How a delivery that correlates with no record opens one (see planDeliveryOpening). */
export interface DeliveryOpening {
  request: NewDeployment;
  /** The new record's first timeline event. */
  opening: Signal;
  /** Applied first to the environment's active record, which the new one supersedes. */
  supersedeActive: Signal | null;
  /** Applied after opening: the delivery's own signal, when the record opened superseded. */
  then: Signal | null;
}

/**
 * A delivery never refuses: a newer deployment (by GitHub's own time) supersedes the active one;
 * an older one arriving late opens already superseded, and what it said is still kept on its
 * timeline. `active` is the environment's active record (only read when `signal.state` is active).
 */
export function planDeliveryOpening(
  observation: Observation,
  signal: Signal,
  opened: { id: string; key: string },
  active: DeploymentRecord | null,
): DeliveryOpening {
  let state = signal.state;
  let opening: Signal = { ...signal, reason: 'created' };
  let supersedeActive: Signal | null = null;
  const rival = isActive(signal.state) ? active : null;
  if (rival && observation.createdAt >= rival.createdAt) {
    supersedeActive = supersedeSignal('webhook', opened, observation.createdAt);
  } else if (rival) {
    state = 'inactive';
    opening = { ...supersedeSignal('webhook', rival, observation.createdAt), reason: 'superseded' };
  }
  const request: NewDeployment = {
    repository: observation.repository,
    environment: observation.environment,
    repositoryId: observation.repositoryId ?? null,
    key: opened.key,
    sha: observation.sha,
    ref: observation.ref,
    state,
    runId: observation.runId,
    runAttempt: observation.runAttempt,
    githubDeploymentId: observation.githubDeploymentId,
    environmentUrl: signal.environmentUrl ?? null,
    logUrl: signal.logUrl ?? null,
    description: signal.description ?? null,
    metricsEndpoint: null,
    k8s: null,
    fingerprint: null,
  };
  const then = state === 'inactive' && signal.state !== 'inactive' ? signal : null;
  return { request, opening, supersedeActive, then };
}
