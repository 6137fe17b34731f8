import type { z } from 'zod';
import { markerOf } from '../../github/marker.ts';
import type { DeliveredDeployment } from '../../ledger/index.ts';
import { type deploymentEvent, nonEmpty } from './payload.ts';

type GithubDeployment = z.infer<typeof deploymentEvent>['deployment'];

/** The fields every deployment-related delivery shares, as an delivered of one state. */
export function deliveredDeployment(
  event: {
    deployment: GithubDeployment;
    repository: { full_name: string; id?: number | undefined };
    workflow_run: { id: number; attempt: number } | null;
  },
  signal: DeliveredDeployment['signal'],
): DeliveredDeployment {
  const { deployment } = event;
  const marker = markerOf(deployment.payload);
  return {
    repository: event.repository.full_name,
    repositoryId: event.repository.id ?? null,
    environment: deployment.environment,
    sha: deployment.sha.toLowerCase(),
    ref: nonEmpty(deployment.ref),
    marker,
    runId: event.workflow_run?.id ?? null,
    runAttempt: event.workflow_run?.attempt ?? null,
    githubDeploymentId: deployment.id,
    createdAt: new Date(deployment.created_at),
    // GitHub names the job's run only on the deployment it created for a job with `environment:`.
    signal: { ...signal, githubDeploymentOrigin: marker ? 'ours' : event.workflow_run ? 'job' : 'other' },
  };
}

/** `deployment` (created): GitHub knows of a deployment; it starts `pending`. */
export function fromDeploymentEvent(
  event: z.infer<typeof deploymentEvent>,
  deliveryId: string,
): DeliveredDeployment {
  return deliveredDeployment(event, {
    source: 'webhook',
    state: 'pending',
    at: new Date(event.deployment.created_at),
    description: nonEmpty(event.deployment.description),
    detail: { delivery_id: deliveryId, event: 'deployment', github_deployment_id: event.deployment.id },
  });
}
