import type { z } from 'zod';
import { type DeliveredDeployment, parseState } from '../../ledger/index.ts';
import { deliveredDeployment } from './deployment.ts';
import { type deploymentStatusEvent, nonEmpty } from './payload.ts';

/** `deployment_status` (created): a state GitHub recorded, at GitHub's time. */
export function fromDeploymentStatusEvent(
  event: z.infer<typeof deploymentStatusEvent>,
  deliveryId: string,
): DeliveredDeployment | null {
  const status = event.deployment_status;
  const state = parseState(status.state);
  if (!state) return null;
  return deliveredDeployment(event, {
    source: 'webhook',
    state,
    at: new Date(status.created_at),
    environmentUrl: nonEmpty(status.environment_url),
    logUrl: nonEmpty(status.log_url) ?? nonEmpty(status.target_url),
    description: nonEmpty(status.description),
    detail: {
      delivery_id: deliveryId,
      event: 'deployment_status',
      github_deployment_id: event.deployment.id,
      github_status_id: status.id ?? null,
    },
  });
}
